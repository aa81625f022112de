"""Skill injection: theta = theta_target + lam * v, streamed tensor by tensor into a loadable HF model dir.

The sum is formed in fp32 and cast back to the target's dtype. In bf16 a small `lam * v` can be rounded away
entirely (bf16 keeps 8 mantissa bits, so an update below ~0.4% of a weight vanishes), so the report measures
how much of the injected update survives the cast: ||cast(theta) - theta_target|| / ||lam * v||, overall and
for the worst tensor. Everything that is not a weight (config, generation config, tokenizer) is copied, and
the provenance goes to `past_manifest.json`.
"""

from __future__ import annotations

import math
import warnings
from datetime import datetime
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, ConfigDict, Field

from toolpast.vectors.atomic import atomic_copy, atomic_write_text, staged_dir
from toolpast.vectors.checkpoint import MODEL_INDEX, MODEL_SINGLE, Checkpoint, weights_sha256
from toolpast.vectors.errors import CheckpointFormatError, SkillVectorMismatch
from toolpast.vectors.manifest import VECTOR_INDEX, BaseModelIdentity, VectorManifest, toolpast_version, utc_now
from toolpast.vectors.meter import ResidencyMeter, tracked
from toolpast.vectors.numerics import tensor_l2
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards

PAST_MANIFEST = "past_manifest.json"


class TensorInjection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vector_tensor: str  # differs from the model tensor name only for a tied alias (lm_head <- embed_tokens)
    dtype: str
    lam_v_norm: float  # ||lam * v||
    applied_norm: float  # ||cast(theta) - theta_model||
    surviving_fraction: float | None  # applied / lam_v; None when lam * v == 0


class InjectReport(BaseModel):
    """What `inject_skill_vector` did; also written as `<out>/past_manifest.json`."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["toolpast.past_injection"] = "toolpast.past_injection"
    format_version: int = 1
    lam: float
    model_dir: str
    model_weights_sha256: str | None
    vector_dir: str
    vector_weights_sha256: str | None
    vector_kind: str
    vector_rl_sha256: str | None
    vector_sft_sha256: str | None
    out_dir: str
    base_model: BaseModelIdentity  # the target's
    identity_mismatches: list[str] = Field(default_factory=list)  # vector vs target config, shapes agreeing
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


def _pair_tensors(model: Checkpoint, vec: Checkpoint, manifest: VectorManifest) -> dict[str, str]:
    """model tensor name -> vector tensor name, or SkillVectorMismatch (checked from headers only)."""
    if set(vec.names) != set(manifest.tensors):
        raise CheckpointFormatError(
            f"{vec.path}: shard contents and {manifest.__class__.__name__} tensor list disagree"
        )
    for vn in vec.names:
        if vn not in model:
            hint = ""
            if vn in manifest.tied or any(t == vn for t in manifest.tied.values()):
                hint = "tied embeddings differ between the vector's source and the target"
            raise SkillVectorMismatch(vn, {"vector": vec.info(vn).shape, "model": None}, hint)
    pairs: dict[str, str] = {}
    for n in model.names:
        if n in vec:
            vn = n
        elif n in manifest.tied and manifest.tied[n] in vec:
            vn = manifest.tied[n]  # the target stores lm_head separately; the source's update to it was the embedding's
        else:
            continue
        mi, vi = model.info(n), vec.info(vn)
        if mi.shape != vi.shape:
            raise SkillVectorMismatch(n, {"model": mi.shape, "vector": vi.shape})
        if not mi.is_floating:
            raise SkillVectorMismatch(n, {"model": mi.shape, "vector": vi.shape}, f"model tensor has dtype {mi.dtype}")
        pairs[n] = vn
    return pairs


def inject_skill_vector(
    model_dir: str | Path,
    vector_dir: str | Path,
    lam: float,
    out_dir: str | Path,
    shard_max_bytes: int = DEFAULT_SHARD_MAX_BYTES,
    *,
    overwrite: bool = False,
    hash_inputs: bool = True,
    meter: ResidencyMeter | None = None,
) -> InjectReport:
    """Write `model + lam * vector` to `out_dir` as an HF model dir, in the model's own dtype(s).

    Model tensors absent from the vector are copied unchanged; a vector tensor absent from the model, or of a
    different shape, raises SkillVectorMismatch before anything is written. `lam == 0` returns the model's
    tensors bit for bit. `hash_inputs=False` skips the (full-read) provenance hashes.
    """
    lam = float(lam)
    if not math.isfinite(lam):
        raise ValueError(f"lam must be finite, got {lam}")
    manifest = VectorManifest.load(vector_dir)
    with (
        Checkpoint(model_dir, meter=meter) as model,
        Checkpoint(vector_dir, index_name=VECTOR_INDEX, single_name="vector.safetensors", meter=meter) as vec,
    ):
        pairs = _pair_tensors(model, vec, manifest)
        target_id = BaseModelIdentity.from_config(model.config())
        mismatches = manifest.base_model.differences(target_id)
        if mismatches:
            warnings.warn(
                f"skill vector and target configs differ (shapes agree): {'; '.join(mismatches)}", stacklevel=2
            )
        layout = plan_shards(
            [PlannedTensor(n, model.info(n).torch_dtype, model.info(n).shape) for n in model.names],
            shard_max_bytes,
            stem="model",
            index_name=MODEL_INDEX,
            single_name=MODEL_SINGLE,
        )
        model_sha = weights_sha256(model) if hash_inputs else None
        vector_sha = weights_sha256(vec) if hash_inputs else None
        per_tensor: dict[str, TensorInjection] = {}
        copied_files: list[str] = []
        with staged_dir(out_dir, overwrite=overwrite) as tmp:
            for src in model.non_weight_files():
                if src.name == PAST_MANIFEST:
                    continue  # the target was itself an injection; its provenance is superseded below
                atomic_copy(src, tmp / src.name)
                copied_files.append(src.name)
            with ShardedSafetensorsWriter(tmp, layout, meter=meter) as writer:
                for n in model.names:
                    t = model.get(n)
                    vn = pairs.get(n)
                    if vn is None or lam == 0.0:
                        writer.write(n, t)
                        del t
                        continue
                    # theta accumulates in v's own fp32 buffer: lam * v + t rounds exactly like t + lam * v,
                    # and only the model tensor and one fp32 tensor are ever resident.
                    theta = tracked(meter, vec.get(vn).to(torch.float32))
                    theta.mul_(lam)
                    lam_v = tensor_l2(theta)
                    theta.add_(t)
                    out = tracked(meter, theta.to(t.dtype))  # `theta` itself when the model is fp32
                    writer.write(n, out)
                    if out is not theta:
                        theta.copy_(out)  # exact: every bf16/fp16 value is an fp32 value
                    del out
                    theta.sub_(t)
                    applied = tensor_l2(theta)
                    del theta
                    per_tensor[n] = TensorInjection(
                        vector_tensor=vn,
                        dtype=model.info(n).dtype,
                        lam_v_norm=lam_v,
                        applied_norm=applied,
                        surviving_fraction=applied / lam_v if lam_v > 0 else None,
                    )
                    del t
                writer.close()
            lam_v_total = math.sqrt(sum(p.lam_v_norm**2 for p in per_tensor.values()))
            applied_total = math.sqrt(sum(p.applied_norm**2 for p in per_tensor.values()))
            scored = [(p.surviving_fraction, n) for n, p in per_tensor.items() if p.surviving_fraction is not None]
            worst = min(scored) if scored else None
            report = InjectReport(
                lam=lam,
                model_dir=str(Path(model_dir).absolute()),
                model_weights_sha256=model_sha,
                vector_dir=str(Path(vector_dir).absolute()),
                vector_weights_sha256=vector_sha,
                vector_kind=manifest.kind,
                vector_rl_sha256=manifest.rl.weights_sha256,
                vector_sft_sha256=manifest.sft.weights_sha256 if manifest.sft else None,
                out_dir=str(Path(out_dir).absolute()),
                base_model=target_id,
                identity_mismatches=mismatches,
                tensors_total=len(model),
                tensors_modified=len(per_tensor),
                tensors_copied=len(model) - len(per_tensor),
                lam_v_norm=lam_v_total,
                applied_norm=applied_total,
                surviving_fraction=applied_total / lam_v_total if lam_v_total > 0 else None,
                worst_tensor=worst[1] if worst else None,
                worst_surviving_fraction=worst[0] if worst else None,
                per_tensor=per_tensor,
                shard_files=layout.files,
                copied_files=copied_files,
            )
            atomic_write_text(tmp / PAST_MANIFEST, report.model_dump_json(indent=2) + "\n")
    return report
