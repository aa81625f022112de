"""Refuse a skill vector that is mostly zeros: PaST would then equal target SFT by construction.

Two ways an update vanishes. Training in pure bf16 rounds each small optimizer step away (bf16 keeps 8 mantissa
bits: at lr 1e-6 an Adam step is far below half a unit in the last place of a typical weight), so the RL model
equals its start model in most entries and `v = rl - sft` is mostly exact zeros. And injecting `lam * v` into a
bf16 target rounds it away again (`InjectReport.surviving_fraction`). Both are measured after the stage and
compared with the suite's `min_vector_kept` (RunConfig, QARunConfig), failing with the fraction and the fix in
the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MostlyZeroVector(ValueError):
    """The skill vector (or what of it survived injection) is below the suite's min_vector_kept."""


@dataclass(frozen=True)
class ZeroCount:
    entries: int
    zeros: int

    @property
    def kept(self) -> float:
        """Share of entries that are not exactly zero (1.0 for an empty vector: nothing was lost)."""
        return 1.0 - self.zeros / self.entries if self.entries else 1.0


def count_zeros(vector_dir: Path) -> ZeroCount:
    """Exact zeros over every tensor of a vector directory's safetensors shards, one tensor resident at a time."""
    from safetensors import safe_open

    entries = zeros = 0
    files = sorted(Path(vector_dir).glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{vector_dir}: no *.safetensors shards")
    for path in files:
        with safe_open(str(path), framework="pt") as shard:
            for name in shard.keys():
                tensor = shard.get_tensor(name)
                entries += tensor.numel()
                zeros += int((tensor == 0).sum())
                del tensor
    return ZeroCount(entries, zeros)


_FIX = ("train with fp32 master weights (dtype=float32 with *.bf16_autocast=true, or DeepSpeed/FSDP bf16 mixed "
        "precision), or lower min_vector_kept (0 turns the check off)")


def check_vector_kept(count: ZeroCount, min_kept: float, where: str) -> None:
    """Raise MostlyZeroVector when fewer than `min_kept` of the vector's entries are non-zero."""
    if min_kept > 0 and count.kept < min_kept:
        raise MostlyZeroVector(f"skill vector {where} is {1 - count.kept:.1%} exact zeros ({count.zeros:,} of "
                               f"{count.entries:,} entries; min_vector_kept={min_kept} asks for at least "
                               f"{min_kept:.0%} non-zero): the RL update was rounded away or RL learned nothing; "
                               + _FIX)


def check_injection_kept(surviving_fraction: float | None, min_kept: float, where: str) -> None:
    """Raise MostlyZeroVector when less than `min_kept` of ||lam * v|| survived the cast into the target's dtype
    (None: lam * v was zero, nothing to lose)."""
    if min_kept > 0 and surviving_fraction is not None and surviving_fraction < min_kept:
        raise MostlyZeroVector(f"injection {where}: only {surviving_fraction:.1%} of ||lam * v|| survived the cast "
                               f"into the target's dtype (min_vector_kept={min_kept}); keep the target in float32 "
                               "(dtype=float32) or lower min_vector_kept (0 turns the check off)")


def check_vector_stage(artifact, min_kept: float) -> None:
    """The check on a vector stage's artifact: its outputs' `entries` and `zeros` (counted from `<artifact>/vector`
    for an artifact built before the stage recorded them)."""
    if min_kept <= 0:
        return
    outputs, vector_dir = artifact.outputs, artifact.path / "vector"
    count = ZeroCount(outputs["entries"], outputs["zeros"]) if "zeros" in outputs else count_zeros(vector_dir)
    check_vector_kept(count, min_kept, str(vector_dir))


def check_injection_stage(artifact, min_kept: float) -> None:
    """The check on an inject stage's artifact (its outputs' `surviving_fraction`)."""
    if min_kept > 0:
        check_injection_kept(artifact.outputs.get("surviving_fraction"), min_kept, str(artifact.path))
