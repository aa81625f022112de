"""Skill-vector extraction: v = theta_rl - theta_sft, streamed tensor by tensor.

The RL run's parameter update over its SFT starting point is the "skill" PaST transfers. It is computed in fp32
(a bf16 difference of two nearby bf16 numbers would lose most of the update) and stored in fp32 by default.
Both models are read one tensor at a time and each delta is appended to its shard as soon as it exists, so
peak memory is a few copies of the largest tensor, whatever the model size.
"""

from __future__ import annotations

from pathlib import Path

import torch

from toolpast.vectors.atomic import staged_dir
from toolpast.vectors.checkpoint import Checkpoint, weights_sha256
from toolpast.vectors.errors import SkillVectorMismatch
from toolpast.vectors.lora import is_lora_adapter_dir, lora_to_skill_vector
from toolpast.vectors.manifest import (
    VECTOR_INDEX,
    VECTOR_STEM,
    BaseModelIdentity,
    SourceModel,
    TensorEntry,
    VectorDtype,
    VectorManifest,
)
from toolpast.vectors.meter import ResidencyMeter, tracked
from toolpast.vectors.numerics import vector_torch_dtype, write_vector_tensor
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards
from toolpast.vectors.tied import tied_aliases


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
        if not torch.equal(rl.get(n), sft.get(n)):
            raise SkillVectorMismatch(n, {"rl": rl.info(n).shape, "sft": sft.info(n).shape}, "non-float tensor differs")
    return floats, skipped, rl_tied


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
) -> VectorManifest:
    """Write the skill vector `rl - sft` to `out_dir` (safetensors shards + index + manifest.json).

    `rl_dir` may also be a PEFT LoRA adapter dir trained on top of `sft_dir`: its materialised delta is the
    vector (see `lora_to_skill_vector`). Raises SkillVectorMismatch, naming the first differing tensor and both
    shapes, before writing anything. `hash_sources=False` skips the (full-read) weight hashes in the manifest;
    `meter` counts resident tensor bytes (tests use it to check memory stays bounded).
    """
    if is_lora_adapter_dir(rl_dir):
        return lora_to_skill_vector(
            rl_dir, out_dir, base_dir=sft_dir, dtype=dtype, shard_max_bytes=shard_max_bytes,
            overwrite=overwrite, hash_sources=hash_sources, meter=meter,
        )  # fmt: skip
    out_dtype = vector_torch_dtype(dtype)
    with Checkpoint(rl_dir, meter=meter) as rl, Checkpoint(sft_dir, meter=meter) as sft:
        names, skipped, tied = match_tensors(rl, sft)
        rl_id, sft_id = BaseModelIdentity.from_config(rl.config()), BaseModelIdentity.from_config(sft.config())
        diffs = rl_id.differences(sft_id)
        if diffs:
            field = diffs[0].split(":")[0]
            raise SkillVectorMismatch(f"config.{field}", None, "rl vs sft configs differ: " + "; ".join(diffs))

        layout = plan_shards(
            [PlannedTensor(n, out_dtype, rl.info(n).shape) for n in names],
            shard_max_bytes,
            stem=VECTOR_STEM,
            index_name=VECTOR_INDEX,
        )
        sources = {}
        for label, ckpt in (("rl", rl), ("sft", sft)):
            sources[label] = SourceModel(
                path=str(Path(ckpt.path).absolute()),
                weights_sha256=weights_sha256(ckpt) if hash_sources else None,
                dtypes=sorted({i.dtype for i in ckpt.tensors.values()}),
            )
        entries: dict[str, TensorEntry] = {}
        sq = 0.0
        with staged_dir(out_dir, overwrite=overwrite) as tmp:
            with ShardedSafetensorsWriter(tmp, layout, metadata={"toolpast": "skill_vector"}, meter=meter) as writer:
                for n in names:
                    a = rl.get(n)
                    v = tracked(meter, a.to(torch.float32))  # `a` itself when fp32: ours to modify
                    del a
                    b = sft.get(n)
                    v.sub_(b)  # fp32: both operands are exact in fp32
                    del b
                    out = tracked(meter, v.to(out_dtype))
                    del v
                    sq += write_vector_tensor(writer, entries, n, out)
                    del out
                writer.close()
            manifest = VectorManifest(
                kind="full_diff",
                base_model=sft_id if sft_id.model_type else rl_id,
                rl=sources["rl"],
                sft=sources["sft"],
                dtype=dtype,
                tensors=entries,
                tied=tied,
                skipped=skipped,
                total_l2_norm=sq**0.5,
                num_parameters=sum(rl.info(n).numel for n in names),
                shard_files=layout.files,
            )
            manifest.write(tmp)
    return manifest
