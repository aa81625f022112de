"""Skill-vector extraction: v = theta_rl - theta_sft, streamed chunk by chunk.

The RL run's parameter update over its SFT starting point is the "skill" PaST transfers. It is computed in fp32
(a bf16 difference of two nearby bf16 numbers would lose most of the update) and stored in fp32 by default.
Both models are read once, a chunk at a time, by the streaming engine (`stream.py`): their provenance hashes
come from the same reads, the vector's own `weights_sha256` is hashed as it is written (and recorded, so
injecting it does not hash it again), and memory is a few chunks whatever the model size.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from toolpast.io import staged_dir
from toolpast.models.identity import record_weights_sha256
from toolpast.vectors.checkpoint import Checkpoint
from toolpast.vectors.codec import decode, encode
from toolpast.vectors.digest import known_sha256
from toolpast.vectors.errors import NonFiniteWeights, SkillVectorMismatch
from toolpast.vectors.manifest import (
    VECTOR_INDEX,
    VECTOR_STEM,
    BaseModelIdentity,
    SourceModel,
    TensorEntry,
    VectorDtype,
    VectorManifest,
)
from toolpast.vectors.meter import ResidencyMeter
from toolpast.vectors.numerics import sumsq, vector_code
from toolpast.vectors.rawio import RawReader
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards
from toolpast.vectors.stream import CHUNK_ELEMS, Input, Job, Scratch, Source, finish_sources, run_jobs
from toolpast.vectors.tied import tied_aliases


def _raw(ckpt: Checkpoint, name: str) -> bytes:
    info = ckpt.info(name)
    reader = RawReader(ckpt)
    try:
        return reader.read(info, 0, np.empty(info.nbytes, dtype=np.uint8)).tobytes()
    finally:
        reader.close()


def match_tensors(rl: Checkpoint, sft: Checkpoint) -> tuple[list[str], list[str], dict[str, str]]:
    """(float tensors to diff in rl order, non-float tensors to skip, tied aliases), or SkillVectorMismatch.

    Checks names and shapes from headers only; the first problem in rl order (then sft order) is reported.
    """
    rl_tied, sft_tied = tied_aliases(rl), tied_aliases(sft)
    rl_names = [n for n in rl.names if n not in rl_tied]
    sft_names = [n for n in sft.names if n not in sft_tied]
    sft_set, rl_set = set(sft_names), set(rl_names)

    def tie_note(name: str) -> str:
        if name in rl_tied or name in sft_tied:
            return f"tied to the input embedding in {'rl' if name in rl_tied else 'sft'} only"
        return ""

    for n in rl_names:
        if n not in sft_set:
            raise SkillVectorMismatch(n, {"rl": rl.info(n).shape, "sft": None}, tie_note(n))
        a, b = rl.info(n), sft.info(n)
        if a.shape != b.shape:
            raise SkillVectorMismatch(n, {"rl": a.shape, "sft": b.shape})
        if a.is_floating != b.is_floating:
            raise SkillVectorMismatch(n, {"rl": a.shape, "sft": b.shape}, f"dtype {a.dtype} vs {b.dtype}")
    for n in sft_names:
        if n not in rl_set:
            raise SkillVectorMismatch(n, {"rl": None, "sft": sft.info(n).shape}, tie_note(n))
    floats = [n for n in rl_names if rl.info(n).is_floating]
    skipped = [n for n in rl_names if not rl.info(n).is_floating]
    for n in skipped:  # integer/bool buffers cannot be interpolated; they must not have changed
        if rl.info(n).dtype != sft.info(n).dtype or _raw(rl, n) != _raw(sft, n):
            raise SkillVectorMismatch(n, {"rl": rl.info(n).shape, "sft": sft.info(n).shape}, "non-float tensor differs")
    return floats, skipped, rl_tied


def same_base(rl: Checkpoint, sft: Checkpoint) -> tuple[BaseModelIdentity, BaseModelIdentity]:
    """Both models' identities, or SkillVectorMismatch naming the first config field on which they differ."""
    rl_id, sft_id = BaseModelIdentity.from_config(rl.config()), BaseModelIdentity.from_config(sft.config())
    diffs = rl_id.differences(sft_id)
    if diffs:
        field = diffs[0].split(":")[0]
        raise SkillVectorMismatch(f"config.{field}", None, "rl vs sft configs differ: " + "; ".join(diffs))
    return rl_id, sft_id


class _Difference:
    """The kernel: v = fp32(rl) - fp32(sft), stored as `code`; each tensor's L2 norm and exact zeros (of the
    stored values: the zeros are what the pipeline's mostly-zero check reads, without a second pass over v)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.entries: dict[str, TensorEntry] = {}
        self.total_sq = 0.0
        self._sq = 0.0
        self._zeros = 0

    def chunk(self, job: Job, values: list[np.ndarray], out: np.ndarray, scratch: Scratch) -> np.ndarray:
        a, b = values
        n = a.size
        if self.code == "F32":
            stored = np.subtract(a, b, out=out.view(np.float32))
            data = out
        else:
            v = np.subtract(a, b, out=scratch.f32(0)[:n])
            data = encode(v, self.code, out, scratch.u32())
            stored = decode(data, self.code, n, scratch.f32(1))
        sq = sumsq(stored)
        if sq is None:
            raise NonFiniteWeights(job.name, "rl - sft is not finite (the rl or sft weights hold inf or nan)")
        self._sq += sq
        self._zeros += int(np.count_nonzero(np.equal(stored, 0, out=scratch.mask()[:n])))  # 4x float count_nonzero
        return data

    def finish(self, job: Job) -> None:
        self.entries[job.name] = TensorEntry(shape=list(job.inputs[0].info.shape), l2_norm=math.sqrt(self._sq),
                                             zeros=self._zeros)
        self.total_sq += self._sq
        self._sq, self._zeros = 0.0, 0


def extract_skill_vector(
    rl_dir: str | Path,
    sft_dir: str | Path,
    out_dir: str | Path,
    dtype: VectorDtype = "float32",
    shard_max_bytes: int = DEFAULT_SHARD_MAX_BYTES,
    *,
    overwrite: bool = False,
    hash_sources: bool = True,
    meter: ResidencyMeter | None = None,
    chunk_elems: int = CHUNK_ELEMS,
) -> VectorManifest:
    """Write the skill vector `rl - sft` to `out_dir` (safetensors shards + index + manifest.json).

    `rl_dir` may also be a PEFT LoRA adapter dir trained on top of `sft_dir`: its materialised delta is the
    vector (see `lora_to_skill_vector`). Raises SkillVectorMismatch, naming the first differing tensor and both
    shapes, before writing anything. `hash_sources=False` skips the weight hashes in the manifest (the
    inputs' and the vector's own); `meter` counts resident buffer bytes (tests use it to check memory stays
    bounded); `chunk_elems` is the streaming chunk (values per buffer).
    """
    from toolpast.vectors.lora import is_lora_adapter_dir

    if is_lora_adapter_dir(rl_dir):
        from toolpast.vectors.lora import lora_to_skill_vector

        return lora_to_skill_vector(
            rl_dir, out_dir, base_dir=sft_dir, dtype=dtype, shard_max_bytes=shard_max_bytes,
            overwrite=overwrite, hash_sources=hash_sources, meter=meter,
        )  # fmt: skip
    code = vector_code(dtype)
    with Checkpoint(rl_dir) as rl, Checkpoint(sft_dir) as sft:
        names, skipped, tied = match_tensors(rl, sft)
        rl_id, sft_id = same_base(rl, sft)

        names = sorted(names)  # the digest's order: the vector's weights_sha256 is hashed as it is written
        layout = plan_shards(
            [PlannedTensor(n, code, rl.info(n).shape) for n in names],
            shard_max_bytes,
            stem=VECTOR_STEM,
            index_name=VECTOR_INDEX,
        )
        src = {
            label: Source(label, ckpt, hash=hash_sources, known=known_sha256(ckpt.path) if hash_sources else None)
            for label, ckpt in (("rl", rl), ("sft", sft))
        }
        kernel = _Difference(code)
        jobs = [Job(n, code, rl.info(n).numel, (Input(src["rl"], n), Input(src["sft"], n)), kernel) for n in names]
        try:
            with staged_dir(out_dir, overwrite=overwrite) as tmp:
                writer = ShardedSafetensorsWriter(
                    tmp, layout, metadata={"toolpast": "skill_vector"}, meter=meter, digest=hash_sources
                )
                with writer:
                    run_jobs(jobs, writer, chunk_elems=chunk_elems, meter=meter)
                    digests = finish_sources(list(src.values()))
                    writer.close()
                if writer.sha256 is not None:
                    record_weights_sha256(tmp, writer.sha256)
                manifest = VectorManifest(
                    kind="full_diff",
                    base_model=sft_id if sft_id.model_type else rl_id,
                    rl=_source_model(rl, digests["rl"]),
                    sft=_source_model(sft, digests["sft"]),
                    dtype=dtype,
                    tensors=kernel.entries,
                    tied=tied,
                    skipped=skipped,
                    total_l2_norm=math.sqrt(kernel.total_sq),
                    num_parameters=sum(rl.info(n).numel for n in names),
                    shard_files=layout.files,
                    weights_sha256=writer.sha256,
                )
                manifest.write(tmp)
        finally:
            for s in src.values():
                s.close()
    return manifest


def _source_model(ckpt: Checkpoint, digest: str | None) -> SourceModel:
    return SourceModel(
        path=str(Path(ckpt.path).absolute()),
        weights_sha256=digest,
        dtypes=sorted({i.dtype for i in ckpt.tensors.values()}),
    )
