"""Skill injection: theta = theta_target + lam * v, streamed chunk by chunk into a loadable HF model dir.

The sum is formed in fp32 and cast back to the target's dtype. In bf16 a small `lam * v` can be rounded away
entirely (bf16 keeps 8 mantissa bits, so an update below ~0.4% of a weight vanishes), so the report measures
how much of the injected update survives the cast: ||cast(theta) - theta_target|| / ||lam * v||, overall and
for the worst tensor, and warns (`LowSurvivalWarning`) when most of it is lost. A `lam * v` or a result that
is not finite in its dtype is refused (`NonFiniteWeights`), as is a vector that leaves some of the model's
float tensors untouched (`PartialVectorError`, unless `allow_partial`). Everything that is not a weight
(config, generation config, tokenizer) is copied, and the provenance goes to `past_manifest.json`.

`v` is either a stored vector (`inject_skill_vector`) or, fused, `rl - sft` computed on the fly
(`inject_skill_delta`): the same float32 arithmetic, so the same bits, without writing the vector to disk.
Either way each input is read once (and hashed from those reads, unless its digest is already recorded), and
the output is written once, in sorted-name order (so that `digest_output` can hash it on the way).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypedDict

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from toolpast.file_record import FileRecord, toolpast_version, utc_now
from toolpast.io import atomic_copy, staged_dir
from toolpast.models.identity import record_weights_sha256
from toolpast.vectors.checkpoint import MODEL_INDEX, MODEL_SINGLE, Checkpoint
from toolpast.vectors.codec import decode, encode
from toolpast.vectors.digest import known_sha256
from toolpast.vectors.errors import CheckpointFormatError, NonFiniteWeights, PartialVectorError, SkillVectorMismatch
from toolpast.vectors.manifest import VECTOR_INDEX, BaseModelIdentity, VectorManifest
from toolpast.vectors.meter import ResidencyMeter
from toolpast.vectors.numerics import sumsq
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards
from toolpast.vectors.stream import CHUNK_ELEMS, Input, Job, Scratch, Source, finish_sources, run_jobs

if TYPE_CHECKING:
    from typing_extensions import Unpack

PAST_MANIFEST = "past_manifest.json"
LOW_SURVIVAL = 0.9  # below this overall fraction of lambda * v surviving the cast, injection warns
_DTYPE_NAMES = {"F32": "float32", "BF16": "bfloat16", "F16": "float16", "F64": "float64"}


class LowSurvivalWarning(UserWarning):
    """Most of `lambda * v` was rounded away by the cast to the target's dtype: the result is nearly the target."""


class TensorInjection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vector_tensor: str  # differs from the model tensor name only for a tied alias (lm_head <- embed_tokens)
    dtype: str
    lam_v_norm: float  # ||lam * v||
    applied_norm: float  # ||cast(theta) - theta_model||
    surviving_fraction: float | None  # applied / lam_v; None when lam * v == 0


class InjectReport(FileRecord):
    """What `inject_skill_vector` / `inject_skill_delta` did; also written as `<out>/past_manifest.json`."""

    format: Literal["toolpast.past_injection"] = "toolpast.past_injection"
    format_version: int = 1
    lam: float
    model_dir: str
    model_weights_sha256: str | None
    vector_dir: str | None  # None when fused: v = rl - sft was never written
    vector_weights_sha256: str | None
    vector_kind: str
    vector_rl_sha256: str | None
    vector_sft_sha256: str | None
    fused: bool = False  # v computed on the fly from rl_dir and sft_dir
    rl_dir: str | None = None
    sft_dir: str | None = None
    out_dir: str
    out_weights_sha256: str | None = None  # the injected model's weights_sha256 (digest_output=True)
    base_model: BaseModelIdentity  # the target's
    identity_mismatches: list[str] = Field(default_factory=list)  # vector vs target config, shapes agreeing
    allow_partial: bool = False
    uncovered: list[str] = Field(default_factory=list)  # model float tensors the vector left unchanged
    tensors_total: int
    tensors_modified: int
    tensors_copied: int
    lam_v_norm: float
    applied_norm: float
    surviving_fraction: float | None  # overall; None when lam * v == 0 (e.g. lam = 0)
    worst_tensor: str | None
    worst_surviving_fraction: float | None
    per_tensor: dict[str, TensorInjection]
    shard_files: list[str]
    copied_files: list[str]
    created_at: datetime = Field(default_factory=utc_now)
    toolpast_version: str = Field(default_factory=toolpast_version)

    def survival_warning(self, threshold: float = LOW_SURVIVAL) -> str | None:
        """A one-line warning when less than `threshold` of lambda * v survived the cast, else None."""
        frac = self.surviving_fraction
        if frac is None or frac >= threshold:
            return None
        dtypes = "/".join(sorted({_DTYPE_NAMES.get(p.dtype, p.dtype) for p in self.per_tensor.values()}))
        return (
            f"LOW SURVIVAL: only {frac:.1%} of lambda * v survived the cast to {dtypes} (worst tensor "
            f"{self.worst_tensor}: {self.worst_surviving_fraction:.1%}); the injected model is close to the "
            f"target. Inject into a float32 copy of the target, or check lambda ({self.lam:g})."
        )


class InjectOptions(TypedDict, total=False):
    """How an injection writes and checks its output, whichever source v comes from (defaults: `_inject`'s)."""

    shard_max_bytes: int  # largest output shard
    overwrite: bool  # replace an existing out_dir (else refuse it)
    meter: ResidencyMeter | None  # counts the bytes held resident (tests, the benchmark)
    allow_partial: bool  # copy the model float tensors v does not cover unchanged, instead of refusing
    digest_output: bool  # hash the output as it is written and record its weights_sha256 beside it
    chunk_elems: int  # elements streamed per chunk


@dataclass
class _Delta:
    """Where v comes from: its tensors (name -> shape), tied aliases, the inputs that produce each tensor, and
    what the report records about it (`provenance`: fixed fields; `digests`: report field -> source label)."""

    shapes: dict[str, tuple[int, ...]]
    tied: dict[str, str]
    base_model: BaseModelIdentity
    sources: list[Source]
    inputs: dict[str, tuple[Input, ...]]  # vector tensor -> its stored tensor, or (rl, sft)
    fused: bool
    provenance: dict[str, object]
    digests: dict[str, str]
    recorded_sha256: str | None = None  # the stored vector's own digest, from its manifest


def _pair_tensors(model: Checkpoint, delta: _Delta, allow_partial: bool) -> tuple[dict[str, str], list[str]]:
    """(model tensor name -> vector tensor name, uncovered model float tensors), or SkillVectorMismatch.

    Checked from headers only, before anything is read or written.
    """
    for vn, shape in delta.shapes.items():
        if vn not in model:
            hint = ""
            if vn in delta.tied or any(t == vn for t in delta.tied.values()):
                hint = "tied embeddings differ between the vector's source and the target"
            raise SkillVectorMismatch(vn, {"vector": shape, "model": None}, hint)
    pairs: dict[str, str] = {}
    for n in model.names:
        if n in delta.shapes:
            vn = n
        elif n in delta.tied and delta.tied[n] in delta.shapes:
            vn = delta.tied[n]  # the target stores lm_head separately; the source's update to it was the embedding's
        else:
            continue
        mi = model.info(n)
        if mi.shape != delta.shapes[vn]:
            raise SkillVectorMismatch(n, {"model": mi.shape, "vector": delta.shapes[vn]})
        if not mi.is_floating:
            shapes = {"model": mi.shape, "vector": delta.shapes[vn]}
            raise SkillVectorMismatch(n, shapes, f"model tensor has dtype {mi.dtype}")
        pairs[n] = vn
    floats = [n for n in model.names if model.info(n).is_floating]
    uncovered = sorted(n for n in floats if n not in pairs)
    if uncovered and not allow_partial:
        raise PartialVectorError(uncovered, len(floats))
    return pairs, uncovered


class _Injection:
    """The kernel: theta = cast(t + fl32(lam * v)); norms of lam * v and of what the cast kept; finiteness."""

    def __init__(self, lam: float, fused: bool) -> None:
        with np.errstate(over="ignore"):  # a lambda beyond float32 becomes inf, refused at the first tensor
            self.lam, self.lam32, self.fused = lam, np.float32(lam), fused
        self.per_tensor: dict[str, TensorInjection] = {}
        self.pairs: dict[str, str] = {}
        self._lam_v = 0.0
        self._applied = 0.0

    def chunk(self, job: Job, values: list[np.ndarray], out: np.ndarray, scratch: Scratch) -> np.ndarray:
        t = values[0]
        n = t.size
        # v (and lam * v) overwrite the read buffers of the vector / rl: already hashed, and not needed again
        v = np.subtract(values[1], values[2], out=values[1]) if self.fused else values[1]
        lam_v = v if self.lam == 1.0 else np.multiply(v, self.lam32, out=v)
        sq = sumsq(lam_v)
        if sq is None:
            raise NonFiniteWeights(job.name, f"lambda * v is not finite in float32 (lambda {self.lam:g})")
        if job.dtype == "F32":
            theta = np.add(t, lam_v, out=out.view(np.float32))
            data, back = out, theta
        else:
            theta = np.add(t, lam_v, out=scratch.f32(0)[:n])
            data = encode(theta, job.dtype, out, scratch.u32())
            back = decode(data, job.dtype, n, scratch.f32(1))
        applied = sumsq(np.subtract(back, t, out=lam_v))
        if applied is None:
            name = _DTYPE_NAMES.get(job.dtype, job.dtype)
            if not np.isfinite(t).all():
                raise NonFiniteWeights(job.name, "the target model's weights already hold inf or nan")
            raise NonFiniteWeights(
                job.name, f"the injected weights are not finite in {name} (lambda {self.lam:g} * v overflows it)"
            )
        self._lam_v += sq
        self._applied += applied
        return data

    def finish(self, job: Job) -> None:
        lam_v, applied = math.sqrt(self._lam_v), math.sqrt(self._applied)
        self.per_tensor[job.name] = TensorInjection(
            vector_tensor=self.pairs[job.name],
            dtype=job.inputs[0].info.dtype,
            lam_v_norm=lam_v,
            applied_norm=applied,
            surviving_fraction=applied / lam_v if lam_v > 0 else None,
        )
        self._lam_v = self._applied = 0.0


def _check_lambda(lam: float) -> float:
    lam = float(lam)
    if not math.isfinite(lam):
        raise ValueError(f"lambda must be a finite number, got {lam}")
    return lam


def inject_skill_vector(
    model_dir: str | Path,
    vector_dir: str | Path,
    lam: float,
    out_dir: str | Path,
    *,
    hash_inputs: bool = True,
    **options: Unpack[InjectOptions],
) -> InjectReport:
    """Write `model + lam * vector` to `out_dir` as an HF model dir, in the model's own dtype(s).

    A vector tensor absent from the model, or of a different shape, raises SkillVectorMismatch before anything
    is written; so does a model float tensor the vector does not cover (PartialVectorError), unless
    `allow_partial`, in which case it is copied unchanged. `lam == 0` returns the model's tensors bit for bit.
    `hash_inputs=False` skips the provenance hashes (the vector's is reused from its manifest anyway when its
    files are unchanged). `digest_output=True` also hashes the output as it is written and records its
    `weights_sha256` beside it (what `toolpast.models.identity` would otherwise compute with a second read).
    """
    lam = _check_lambda(lam)
    manifest = VectorManifest.load(vector_dir)
    vec = Checkpoint(vector_dir, index_name=VECTOR_INDEX, single_name="vector.safetensors")
    if set(vec.names) != set(manifest.tensors):
        raise CheckpointFormatError(f"{vec.path}: shard contents and the manifest's tensor list disagree")
    known = known_sha256(vec.path, manifest.weights_sha256) if manifest.weights_sha256 else None
    # the vector was written with O_DIRECT (not into the page cache): read it the same way, disk to buffer
    source = Source("vector", vec, hash=hash_inputs and known is None, known=known, direct=True)
    delta = _Delta(
        shapes={n: vec.info(n).shape for n in vec.names},
        tied=manifest.tied,
        base_model=manifest.base_model,
        sources=[source],
        inputs={n: (Input(source, n),) for n in vec.names},
        fused=False,
        provenance={
            "vector_dir": str(Path(vector_dir).absolute()),
            "vector_kind": manifest.kind,
            "vector_rl_sha256": manifest.rl.weights_sha256,
            "vector_sft_sha256": manifest.sft.weights_sha256 if manifest.sft else None,
        },
        digests={"vector_weights_sha256": "vector"},
        recorded_sha256=manifest.weights_sha256,
    )
    return _inject(model_dir, delta, lam, out_dir, hash_inputs=hash_inputs, **options)


def inject_skill_delta(
    model_dir: str | Path,
    rl_dir: str | Path,
    sft_dir: str | Path,
    lam: float,
    out_dir: str | Path,
    *,
    hash_inputs: bool = True,
    **options: Unpack[InjectOptions],
) -> InjectReport:
    """Write `model + lam * (rl - sft)` without materialising the vector: bit for bit what `extract_skill_vector`
    (float32) then `inject_skill_vector` write, from one read of each of the three models."""
    from toolpast.vectors.extract import match_tensors, same_base

    lam = _check_lambda(lam)
    rl, sft = Checkpoint(rl_dir), Checkpoint(sft_dir)
    names, _, tied = match_tensors(rl, sft)
    rl_id, sft_id = same_base(rl, sft)
    src = {label: Source(label, ckpt, hash=hash_inputs, known=known_sha256(ckpt.path) if hash_inputs else None)
           for label, ckpt in (("rl", rl), ("sft", sft))}  # fmt: skip
    delta = _Delta(
        shapes={n: rl.info(n).shape for n in names},
        tied=tied,
        base_model=sft_id if sft_id.model_type else rl_id,
        sources=list(src.values()),
        inputs={n: (Input(src["rl"], n), Input(src["sft"], n)) for n in names},
        fused=True,
        provenance={"vector_dir": None, "vector_weights_sha256": None, "vector_kind": "full_diff", "fused": True,
                    "rl_dir": str(Path(rl_dir).absolute()), "sft_dir": str(Path(sft_dir).absolute())},  # fmt: skip
        digests={"vector_rl_sha256": "rl", "vector_sft_sha256": "sft"},
    )
    return _inject(model_dir, delta, lam, out_dir, hash_inputs=hash_inputs, **options)


def _inject(
    model_dir: str | Path,
    delta: _Delta,
    lam: float,
    out_dir: str | Path,
    *,
    hash_inputs: bool,
    shard_max_bytes: int = DEFAULT_SHARD_MAX_BYTES,
    overwrite: bool = False,
    meter: ResidencyMeter | None = None,
    allow_partial: bool = False,
    digest_output: bool = False,
    chunk_elems: int = CHUNK_ELEMS,
) -> InjectReport:
    """The injection of either source of v; the defaults of `InjectOptions` are here."""
    model = Checkpoint(model_dir)
    src_model = Source("model", model, hash=hash_inputs, known=known_sha256(model.path) if hash_inputs else None)
    sources = [src_model, *delta.sources]
    try:
        pairs, uncovered = _pair_tensors(model, delta, allow_partial)
        target_id = BaseModelIdentity.from_config(model.config())
        mismatches = delta.base_model.differences(target_id)
        if mismatches:
            warnings.warn(
                f"skill vector and target configs differ (shapes agree): {'; '.join(mismatches)}", stacklevel=3
            )
        names = sorted(model.names)  # the digest's order: the output's weights_sha256 is hashed as it is written
        layout = plan_shards(
            [PlannedTensor(n, model.info(n).dtype, model.info(n).shape) for n in names],
            shard_max_bytes,
            stem="model",
            index_name=MODEL_INDEX,
            single_name=MODEL_SINGLE,
        )
        kernel = _Injection(lam, delta.fused)
        kernel.pairs = pairs
        jobs = []
        for n in names:
            info, vn = model.info(n), pairs.get(n)
            if vn is None or lam == 0.0:
                jobs.append(Job(n, info.dtype, info.numel, (Input(src_model, n),)))
            else:
                jobs.append(Job(n, info.dtype, info.numel, (Input(src_model, n), *delta.inputs[vn]), kernel))
        copied_files: list[str] = []
        with staged_dir(out_dir, overwrite=overwrite) as tmp:
            for f in model.non_weight_files():
                if f.name == PAST_MANIFEST:
                    continue  # the target was itself an injection; its provenance is superseded below
                atomic_copy(f, tmp / f.name)
                copied_files.append(f.name)
            writer = ShardedSafetensorsWriter(tmp, layout, meter=meter, digest=digest_output)
            with writer:
                run_jobs(jobs, writer, chunk_elems=chunk_elems, meter=meter)
                digests = finish_sources(sources)
                writer.close()
            vector_sha = digests.get("vector")
            if delta.recorded_sha256 and vector_sha and vector_sha != delta.recorded_sha256:
                raise CheckpointFormatError(
                    f"{delta.provenance['vector_dir']}: the vector's weights hash to {vector_sha}, not the "
                    f"{delta.recorded_sha256} its manifest recorded when it was written (modified or corrupt)"
                )
            if writer.sha256 is not None:
                record_weights_sha256(tmp, writer.sha256)
            per_tensor = {n: kernel.per_tensor[n] for n in names if n in kernel.per_tensor}
            report = InjectReport(
                lam=lam,
                model_dir=str(Path(model.path).absolute()),
                model_weights_sha256=digests.get("model"),
                **delta.provenance,
                **{field: digests.get(label) for field, label in delta.digests.items()},
                out_dir=str(Path(out_dir).absolute()),
                out_weights_sha256=writer.sha256,
                base_model=target_id,
                identity_mismatches=mismatches,
                allow_partial=allow_partial,
                uncovered=uncovered,
                tensors_total=len(model),
                tensors_modified=len(per_tensor),
                tensors_copied=len(model) - len(per_tensor),
                per_tensor=per_tensor,
                shard_files=layout.files,
                copied_files=copied_files,
                **_totals(per_tensor),
            )
            report.write_json(tmp / PAST_MANIFEST)
    finally:
        for s in sources:
            s.close()
    message = report.survival_warning()
    if message:
        warnings.warn(message, LowSurvivalWarning, stacklevel=3)
    return report


def _totals(per_tensor: dict[str, TensorInjection]) -> dict[str, float | str | None]:
    """The report's overall norms, surviving fraction and worst tensor, from the per-tensor ones."""
    lam_v = math.sqrt(sum(p.lam_v_norm**2 for p in per_tensor.values()))
    applied = math.sqrt(sum(p.applied_norm**2 for p in per_tensor.values()))
    scored = [(p.surviving_fraction, n) for n, p in per_tensor.items() if p.surviving_fraction is not None]
    worst = min(scored) if scored else None
    return {
        "lam_v_norm": lam_v,
        "applied_norm": applied,
        "surviving_fraction": applied / lam_v if lam_v > 0 else None,
        "worst_tensor": worst[1] if worst else None,
        "worst_surviving_fraction": worst[0] if worst else None,
    }
