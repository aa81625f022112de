"""An RL LoRA adapter *is* a skill vector: materialise delta_W = B @ A * scaling per target module.

When RL trains a LoRA on top of the SFT model, theta_rl - theta_sft is exactly the merged LoRA delta, so it is
written in the same format as a full-model diff and injected the same way. The adapter is read from its
safetensors file (never a pickle) and one module's delta is computed and written at a time. Features whose
merged delta is not B @ A * scaling (DoRA, LoRA bias, modules_to_save, base-rewriting inits such as PiSSA) are
refused rather than approximated.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolpast.io import staged_dir
from toolpast.vectors.checkpoint import Checkpoint, weights_sha256
from toolpast.vectors.errors import CheckpointFormatError, SkillVectorMismatch
from toolpast.vectors.manifest import (
    VECTOR_INDEX,
    VECTOR_STEM,
    BaseModelIdentity,
    LoraInfo,
    SourceModel,
    TensorEntry,
    VectorDtype,
    VectorManifest,
)
from toolpast.vectors.meter import ResidencyMeter, tracked
from toolpast.vectors.numerics import vector_code, vector_torch_dtype, write_vector_tensor
from toolpast.vectors.shards import DEFAULT_SHARD_MAX_BYTES, PlannedTensor, ShardedSafetensorsWriter, plan_shards
from toolpast.vectors.tied import tied_aliases

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_SINGLE = "adapter_model.safetensors"
ADAPTER_INDEX = "adapter_model.safetensors.index.json"

_KEY = re.compile(
    r"^(?P<module>.+?)\.(?P<kind>lora_A|lora_B|lora_embedding_A|lora_embedding_B)(?:\.(?P<adapter>[^.]+))?(?:\.weight)?$"
)
_PREFIX = "base_model.model."
# Config switches under which the merged delta is not (only) B @ A * scaling.
_UNSUPPORTED_FLAGS = (
    "use_dora",
    "lora_bias",
    "modules_to_save",
    "trainable_token_indices",
    "target_parameters",
    "layer_replication",
    "alora_invocation_tokens",
    "use_qalora",
    "use_bdlora",
    "arrow_config",
    "kasa_config",
    "velora_config",
)
_BASE_REWRITING_INITS = ("pissa", "olora", "loftq", "corda")


def is_lora_adapter_dir(path: str | Path) -> bool:
    return (Path(path) / ADAPTER_CONFIG).is_file()


@dataclass
class _Module:
    target: str  # tensor name in the base model, e.g. "model.layers.0.self_attn.q_proj.weight"
    a: str = ""
    b: str = ""
    embedding: bool = False


def _pattern_value(patterns: dict[str, Any], module: str, default: Any) -> Any:
    """PEFT's rank/alpha_pattern lookup: first key matching the end of the module name."""
    for key, value in patterns.items():
        if re.match(rf"(.*\.)?({key})$", module):
            return value
    return default


def _check_config(cfg: dict[str, Any], adapter_dir: Path) -> None:
    if cfg.get("peft_type", "LORA") != "LORA":
        raise CheckpointFormatError(f"{adapter_dir}: peft_type {cfg.get('peft_type')!r} is not LORA")
    bad = [k for k in _UNSUPPORTED_FLAGS if cfg.get(k) not in (None, False, [], {}, "none")]
    init = cfg.get("init_lora_weights")
    if isinstance(init, str) and init.lower().startswith(_BASE_REWRITING_INITS):
        bad.append(f"init_lora_weights={init!r} (rewrites the base weights)")
    if cfg.get("bias", "none") != "none":
        bad.append(f"bias={cfg['bias']!r}")
    if bad:
        raise CheckpointFormatError(
            f"{adapter_dir}: LoRA features whose merged delta is not B @ A * scaling are unsupported: {', '.join(bad)}"
        )


def _modules(adapter: Checkpoint) -> tuple[list[_Module], list[str]]:
    """Pair up lora_A/lora_B tensors per module; returns (modules in file order, ignored base-layer copies)."""
    mods: dict[str, _Module] = {}
    ignored, unknown = [], []
    for key in adapter.names:
        m = _KEY.match(key)
        if m is None:
            if key.endswith(".base_layer.weight"):  # frozen copy of the base embedding (save_embedding_layers)
                ignored.append(key)
                continue
            unknown.append(key)
            continue
        module = m["module"].removeprefix(_PREFIX)
        mod = mods.setdefault(
            module, _Module(target=f"{module}.weight", embedding=m["kind"].startswith("lora_embedding"))
        )
        if m["kind"].endswith("A"):
            mod.a = key
        else:
            mod.b = key
    if unknown:
        raise CheckpointFormatError(
            f"{adapter.path}: tensors that are not LoRA factors (e.g. {unknown[0]!r}); "
            "cannot materialise as a skill vector"
        )
    for module, mod in mods.items():
        if not mod.a or not mod.b:
            raise CheckpointFormatError(f"{adapter.path}: module {module!r} has only one of lora_A/lora_B")
    return list(mods.values()), ignored


def lora_to_skill_vector(
    adapter_dir: str | Path,
    out_dir: str | Path,
    base_dir: str | Path | None = None,
    dtype: VectorDtype = "float32",
    shard_max_bytes: int = DEFAULT_SHARD_MAX_BYTES,
    *,
    overwrite: bool = False,
    hash_sources: bool = True,
    meter: ResidencyMeter | None = None,
) -> VectorManifest:
    """Write the merged delta of a PEFT LoRA adapter as a skill vector (same format as `extract_skill_vector`).

    With `base_dir` (the model the adapter was trained on, i.e. the SFT model) every delta is checked against
    the base tensor's name and shape and the manifest records the base's identity; without it, only the
    adapter's `base_model_name_or_path` is recorded.
    """
    import torch

    adapter_dir = Path(adapter_dir)
    out_dtype = vector_torch_dtype(dtype)
    cfg = json.loads((adapter_dir / ADAPTER_CONFIG).read_text())
    _check_config(cfg, adapter_dir)
    r_default, alpha_default = int(cfg["r"]), float(cfg["lora_alpha"])
    rslora, fan_in_fan_out = bool(cfg.get("use_rslora")), bool(cfg.get("fan_in_fan_out"))
    rank_pattern, alpha_pattern = dict(cfg.get("rank_pattern") or {}), dict(cfg.get("alpha_pattern") or {})

    with Checkpoint(adapter_dir, index_name=ADAPTER_INDEX, single_name=ADAPTER_SINGLE, meter=meter) as adapter:
        modules, ignored = _modules(adapter)
        shapes: dict[str, tuple[int, ...]] = {}
        scaling: dict[str, float] = {}
        transpose: dict[str, bool] = {}
        for mod in modules:
            a, b = adapter.info(mod.a), adapter.info(mod.b)
            if len(a.shape) != 2 or len(b.shape) != 2:
                raise CheckpointFormatError(f"{adapter_dir}: {mod.a} is not a 2-D LoRA factor (conv LoRA unsupported)")
            if a.shape[0] != b.shape[1]:
                raise SkillVectorMismatch(mod.a, {"lora_A": a.shape, "lora_B": b.shape}, "ranks differ")
            r = a.shape[0]
            module = mod.target.removesuffix(".weight")
            alpha = float(_pattern_value(alpha_pattern, module, alpha_default))
            scaling[mod.target] = alpha / math.sqrt(r) if rslora else alpha / r
            # Linear: delta = B @ A, (out, in); Embedding: (B @ A).T, (num_embeddings, dim); Conv1D: transposed.
            transpose[mod.target] = mod.embedding or fan_in_fan_out
            shapes[mod.target] = (a.shape[1], b.shape[0]) if transpose[mod.target] else (b.shape[0], a.shape[1])

        order = [m.target for m in modules]
        base_id = BaseModelIdentity(name_or_path=cfg.get("base_model_name_or_path"))
        base_src: SourceModel | None = None
        tied: dict[str, str] = {}
        if base_dir is not None:
            with Checkpoint(base_dir) as base:
                for t in order:
                    got = base.info(t).shape if t in base else None
                    if got != shapes[t]:
                        raise SkillVectorMismatch(t, {"lora delta": shapes[t], "base": got})
                rank = {n: i for i, n in enumerate(base.names)}
                order.sort(key=lambda t: rank[t])
                base_id = BaseModelIdentity.from_config(base.config())
                base_id.name_or_path = base_id.name_or_path or cfg.get("base_model_name_or_path")
                tied = {k: v for k, v in tied_aliases(base).items() if v in shapes}
                base_src = SourceModel(
                    path=str(Path(base_dir).absolute()),
                    weights_sha256=weights_sha256(base) if hash_sources else None,
                    dtypes=sorted({i.dtype for i in base.tensors.values()}),
                )
        by_target = {m.target: m for m in modules}
        layout = plan_shards(
            [PlannedTensor(t, vector_code(dtype), shapes[t]) for t in order],
            shard_max_bytes,
            stem=VECTOR_STEM,
            index_name=VECTOR_INDEX,
        )
        rl_src = SourceModel(
            path=str(adapter_dir.absolute()),
            weights_sha256=weights_sha256(adapter) if hash_sources else None,
            dtypes=sorted({i.dtype for i in adapter.tensors.values()}),
        )
        entries: dict[str, TensorEntry] = {}
        sq = 0.0
        with staged_dir(out_dir, overwrite=overwrite) as tmp:
            with ShardedSafetensorsWriter(tmp, layout, metadata={"toolpast": "skill_vector"}, meter=meter) as writer:
                for t in order:
                    mod = by_target[t]
                    A = tracked(meter, adapter.get(mod.a).to(torch.float32))
                    B = tracked(meter, adapter.get(mod.b).to(torch.float32))
                    delta = tracked(meter, B @ A)
                    del A, B
                    delta.mul_(scaling[t])
                    if transpose[t]:
                        delta = tracked(meter, delta.T.contiguous())
                    out = tracked(meter, delta.to(out_dtype))
                    del delta
                    sq += write_vector_tensor(writer, entries, t, out)
                    del out
                writer.close()
            manifest = VectorManifest(
                kind="lora",
                base_model=base_id,
                rl=rl_src,
                sft=base_src,
                dtype=dtype,
                tensors=entries,
                tied=tied,
                total_l2_norm=sq**0.5,
                num_parameters=sum(math.prod(shapes[t]) for t in order),
                shard_files=layout.files,
                lora=LoraInfo(
                    r=r_default,
                    lora_alpha=alpha_default,
                    use_rslora=rslora,
                    fan_in_fan_out=fan_in_fan_out,
                    target_modules=cfg.get("target_modules"),
                    rank_pattern=rank_pattern,
                    alpha_pattern=alpha_pattern,
                    scaling=scaling,
                    ignored_tensors=ignored,
                ),
            )
            manifest.write(tmp)
    return manifest
