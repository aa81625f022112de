"""Benchmark inputs: an sft model, rl = sft + seeded noise and target = sft + other noise, written streaming.

The models are built tensor by tensor straight into safetensors shards (the skill-vector shard writer), so
building a model several times larger than RAM would allow never holds more than a few of its tensors: the
benchmark's own setup must not be what limits the model size it can measure.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from toolpast.io import atomic_copy, staged_dir
from toolpast.vectors.checkpoint import MODEL_INDEX, MODEL_SINGLE, Checkpoint
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards

NOISE = 1e-3  # absolute std of the rl/target perturbations (weights are ~N(0, 0.02))
INIT_STD = 0.02  # HF's initializer_range for Llama
MB = 10**6

# Random Llamas: "large" is ~0.66B parameters (2.6 GB in fp32, ~5x SmolLM2-135M) in ~500 MB shards.
RANDOM_SIZES: dict[str, tuple[dict, int]] = {
    "tiny": (
        {"vocab_size": 1024, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2},
        300_000,
    ),
    "large": (
        {"vocab_size": 32000, "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 12,
         "num_attention_heads": 32, "num_key_value_heads": 4},
        500 * MB,
    ),
}  # fmt: skip
SIZES = ("default", *RANDOM_SIZES)


@dataclass(frozen=True)
class BenchInputs:
    size: str
    description: str
    sft: Path
    rl: Path
    target: Path
    num_parameters: int
    checkpoint_bytes: int  # tensor bytes of one model
    largest_shard_bytes: int  # largest weight file among the three inputs


def largest_weight_file(*dirs: Path) -> int:
    return max(f.stat().st_size for d in dirs for f in Checkpoint(d).weight_files if f.suffix == ".safetensors")


def _layout(planned: list[PlannedTensor], shard_max_bytes: int):
    return plan_shards(planned, shard_max_bytes, stem="model", index_name=MODEL_INDEX, single_name=MODEL_SINGLE)


def perturbed_copy(src: Path, out: Path, seed: int, scale: float = NOISE) -> Path:
    """`src` + N(0, scale^2) on every float tensor, in `src`'s dtypes, with its config and tokenizer files."""
    g = torch.Generator().manual_seed(seed)
    ckpt = Checkpoint(src)
    planned = [PlannedTensor(n, ckpt.info(n).dtype, ckpt.info(n).shape) for n in ckpt.names]
    with staged_dir(out) as tmp:
        for f in ckpt.non_weight_files():
            atomic_copy(f, tmp / f.name)
        with ShardedSafetensorsWriter(tmp, _layout(planned, DEFAULT_SHARD_MAX_BYTES)) as writer:
            for n in ckpt.names:
                t = ckpt.get(n)
                if t.is_floating_point():
                    t = t.float().add_(torch.randn(t.shape, generator=g), alpha=scale).to(t.dtype)
                writer.write(n, t)
                del t
            writer.close()
    return out


def random_llama_family(config_kwargs: dict, root: Path, shard_max_bytes: int, seed: int = 0) -> dict[str, Path]:
    """sft (random init), rl and target (sft + noise) fp32 Llamas under `root`, written in one streaming pass."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**config_kwargs, tie_word_embeddings=False, dtype="float32")
    config.architectures = ["LlamaForCausalLM"]  # what from_pretrained writes; mergekit dispatches on it
    with torch.device("meta"):  # names and shapes only: no memory
        shapes = {n: tuple(p.shape) for n, p in LlamaForCausalLM(config).state_dict().items()}
    planned = [PlannedTensor(n, "F32", s) for n, s in shapes.items()]
    layout = _layout(planned, shard_max_bytes)
    dirs = {label: root / label for label in ("sft", "rl", "target")}
    gens = {label: torch.Generator().manual_seed(seed + i) for i, label in enumerate(dirs)}
    with contextlib.ExitStack() as stack:
        tmps = {label: stack.enter_context(staged_dir(d)) for label, d in dirs.items()}
        writers = {label: stack.enter_context(ShardedSafetensorsWriter(t, layout)) for label, t in tmps.items()}
        for n, shape in shapes.items():
            if n.endswith("norm.weight"):
                w = torch.ones(shape)
            else:
                w = torch.randn(shape, generator=gens["sft"]).mul_(INIT_STD)
            writers["sft"].write(n, w)
            for label in ("rl", "target"):
                writers[label].write(n, torch.randn(shape, generator=gens[label]).mul_(NOISE).add_(w))
            del w
        for label, writer in writers.items():
            writer.close()
            config.save_pretrained(tmps[label])
    return dirs


def build_inputs(size: str, root: Path) -> BenchInputs:
    """Write the three models of `size` (one of SIZES) under `root`; "default" reuses the resolved model as sft."""
    root.mkdir(parents=True, exist_ok=True)
    if size == "default":
        from toolpast.models import DEFAULT_MODEL, resolve_model

        sft = Path(resolve_model())
        dirs = {
            "sft": sft,
            "rl": perturbed_copy(sft, root / "rl", 1),
            "target": perturbed_copy(sft, root / "target", 2),
        }
        dtypes = sorted({i.dtype for i in Checkpoint(sft).tensors.values()})
        description = f"{DEFAULT_MODEL} ({'/'.join(dtypes)})"
    elif size in RANDOM_SIZES:
        kwargs, shard = RANDOM_SIZES[size]
        dirs = random_llama_family(kwargs, root, shard)
        description = (f"random Llama h{kwargs['hidden_size']} L{kwargs['num_hidden_layers']} "
                       f"v{kwargs['vocab_size']} fp32")  # fmt: skip
    else:
        raise ValueError(f"unknown benchmark size {size!r}; choose from {', '.join(SIZES)}")
    ckpt = Checkpoint(dirs["sft"])
    return BenchInputs(
        size=size,
        description=description,
        sft=dirs["sft"],
        rl=dirs["rl"],
        target=dirs["target"],
        num_parameters=sum(ckpt.info(n).numel for n in ckpt.names),
        checkpoint_bytes=ckpt.total_bytes,
        largest_shard_bytes=largest_weight_file(dirs["sft"], dirs["rl"], dirs["target"]),
    )


def bytes_needed(size: str) -> int:
    """Disk the benchmark of `size` needs at its peak: 3 inputs + vector + one output (default: sft not copied)."""
    if size in RANDOM_SIZES:
        kwargs, _ = RANDOM_SIZES[size]
        from transformers import LlamaConfig, LlamaForCausalLM

        with torch.device("meta"):
            model = LlamaForCausalLM(LlamaConfig(**kwargs, tie_word_embeddings=False))
        n = sum(p.numel() for p in model.parameters())
        return 5 * 4 * n
    return 5 * 600 * MB


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
