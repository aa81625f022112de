"""Skill vectors for PaST: v = theta_rl - theta_sft, injected as theta = theta_sft_target + lam * v.

Everything streams one tensor at a time from safetensors, so it runs on 7B checkpoints in bounded memory, and
every output dir appears atomically (built as `<out>.partial-<pid>`, renamed when complete).
"""

from toolpast.vectors.checkpoint import Checkpoint, weights_sha256
from toolpast.vectors.errors import CheckpointFormatError, SkillVectorMismatch
from toolpast.vectors.extract import extract_skill_vector
from toolpast.vectors.inject import InjectReport, TensorInjection, inject_skill_vector
from toolpast.vectors.lora import is_lora_adapter_dir, lora_to_skill_vector
from toolpast.vectors.manifest import BaseModelIdentity, VectorManifest
from toolpast.vectors.meter import ResidencyMeter

__all__ = [
    "BaseModelIdentity",
    "Checkpoint",
    "CheckpointFormatError",
    "InjectReport",
    "ResidencyMeter",
    "SkillVectorMismatch",
    "TensorInjection",
    "VectorManifest",
    "extract_skill_vector",
    "inject_skill_vector",
    "is_lora_adapter_dir",
    "lora_to_skill_vector",
    "weights_sha256",
]
