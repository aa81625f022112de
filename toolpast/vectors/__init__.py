"""Skill vectors for PaST: v = theta_rl - theta_sft, injected as theta = theta_sft_target + lam * v.

Everything streams from safetensors a chunk at a time, so it runs on 7B checkpoints in bounded memory, and
every output dir appears atomically (built as `<out>.partial-<pid>`, renamed when complete).

The names below are imported on first use: extract and inject need only numpy, and importing this package
must not import torch (seconds of start-up on every `toolpast skill` call); the LoRA path and
`Checkpoint.get` import torch when they run.
"""

from __future__ import annotations

from toolpast.lazy_exports import lazy_exports

_EXPORTS = {
    "BaseModelIdentity": "toolpast.vectors.manifest",
    "Checkpoint": "toolpast.vectors.checkpoint",
    "CheckpointFormatError": "toolpast.vectors.errors",
    "InjectReport": "toolpast.vectors.inject",
    "LowSurvivalWarning": "toolpast.vectors.inject",
    "NonFiniteWeights": "toolpast.vectors.errors",
    "PartialVectorError": "toolpast.vectors.errors",
    "ResidencyMeter": "toolpast.vectors.meter",
    "SkillVectorMismatch": "toolpast.vectors.errors",
    "TensorInjection": "toolpast.vectors.inject",
    "VectorManifest": "toolpast.vectors.manifest",
    "extract_skill_vector": "toolpast.vectors.extract",
    "inject_skill_delta": "toolpast.vectors.inject",
    "inject_skill_vector": "toolpast.vectors.inject",
    "is_lora_adapter_dir": "toolpast.vectors.lora",
    "lora_to_skill_vector": "toolpast.vectors.lora",
    "weights_sha256": "toolpast.vectors.checkpoint",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
