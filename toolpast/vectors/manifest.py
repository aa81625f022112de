"""What a skill-vector directory contains and where it came from (`manifest.json`).

A vector is only meaningful relative to the architecture it was taken from, so the manifest pins the base
model's identity (type, architecture, sizes), the content hashes of the models it was computed from (so a
result can be traced to exactly the weights it came from) and of the vector itself, and per-tensor norms
(useful to see where RL moved the weights, and to sanity-check injection).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolpast.file_record import FileRecord, toolpast_version, utc_now
from toolpast.json_file import read_model

MANIFEST_NAME = "manifest.json"
VECTOR_INDEX = "vector.safetensors.index.json"
VECTOR_STEM = "vector"

VectorDtype = Literal["float32", "bfloat16", "float16"]
IDENTITY_FIELDS = (
    "model_type",
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "num_key_value_heads",
    "vocab_size",
)


class BaseModelIdentity(BaseModel):
    """The architecture a vector belongs to, from the model's config.json."""

    model_config = ConfigDict(extra="forbid")

    name_or_path: str | None = None
    model_type: str | None = None
    architectures: list[str] = Field(default_factory=list)
    hidden_size: int | None = None
    intermediate_size: int | None = None
    num_hidden_layers: int | None = None
    num_attention_heads: int | None = None
    num_key_value_heads: int | None = None
    vocab_size: int | None = None
    tie_word_embeddings: bool | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BaseModelIdentity:
        nested = config.get("text_config")
        text: dict[str, Any] = nested if isinstance(nested, dict) else {}

        def pick(key: str) -> Any:
            return config.get(key, text.get(key))

        return cls(
            name_or_path=config.get("_name_or_path") or None,
            model_type=config.get("model_type"),
            architectures=list(config.get("architectures") or []),
            **{k: pick(k) for k in IDENTITY_FIELDS if k != "model_type"},
            tie_word_embeddings=pick("tie_word_embeddings"),
        )

    def differences(self, other: BaseModelIdentity) -> list[str]:
        """Identity fields both sides know and disagree on, as 'field: a != b'."""
        out = []
        for k in (*IDENTITY_FIELDS, "architectures"):
            a, b = getattr(self, k), getattr(other, k)
            if a not in (None, []) and b not in (None, []) and a != b:
                out.append(f"{k}: {a!r} != {b!r}")
        return out


class SourceModel(BaseModel):
    """One input of the extraction: where it was and what its weights hash to."""

    model_config = ConfigDict(extra="forbid")

    path: str
    weights_sha256: str | None = None  # None when hashing was skipped
    dtypes: list[str] = Field(default_factory=list)  # safetensors dtype codes present, e.g. ["BF16"]


class TensorEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    shape: list[int]
    l2_norm: float
    zeros: int | None = None  # exact zeros among the stored values (None: not counted, e.g. a LoRA vector)


class LoraInfo(BaseModel):
    """The adapter a LoRA-derived vector was materialised from."""

    model_config = ConfigDict(extra="forbid")

    r: int
    lora_alpha: float
    use_rslora: bool = False
    fan_in_fan_out: bool = False
    target_modules: list[str] | str | None = None
    rank_pattern: dict[str, int] = Field(default_factory=dict)
    alpha_pattern: dict[str, float] = Field(default_factory=dict)
    scaling: dict[str, float] = Field(default_factory=dict)  # per target tensor
    ignored_tensors: list[str] = Field(default_factory=list)  # frozen base-layer copies peft saved alongside


class Sparsity(BaseModel):
    """How a sparsified vector was made from a dense one (`sparsify.py`)."""

    model_config = ConfigDict(extra="forbid")

    keep: float  # share of each tensor's entries kept: those of largest magnitude
    method: Literal["top_k_magnitude_per_tensor"] = "top_k_magnitude_per_tensor"
    norm_restored: bool = True  # each tensor's kept entries scaled so its L2 norm is the dense tensor's
    dense_weights_sha256: str | None = None  # the dense vector it was made from
    dense_zeros: int | None = None  # exact zeros of the dense vector (its mostly-zero check)


class VectorManifest(FileRecord):
    """`manifest.json` of a skill-vector dir: v = theta_rl - theta_sft, stored as safetensors shards."""

    format: Literal["toolpast.skill_vector"] = "toolpast.skill_vector"
    format_version: int = 1
    kind: Literal["full_diff", "lora"]
    base_model: BaseModelIdentity
    rl: SourceModel
    sft: SourceModel | None = None  # None for a LoRA materialised without its base model
    dtype: VectorDtype
    tensors: dict[str, TensorEntry]
    tied: dict[str, str] = Field(default_factory=dict)  # alias -> stored tensor it shares storage with
    skipped: list[str] = Field(default_factory=list)  # non-float tensors (equal in rl and sft), not in the vector
    total_l2_norm: float
    num_parameters: int
    shard_files: list[str]
    lora: LoraInfo | None = None
    sparsity: Sparsity | None = None  # None: the dense rl - sft (or LoRA delta)
    # weights_sha256 of the vector itself, hashed as it was written (None when hashing was skipped): injection
    # records it instead of hashing the vector again, and checks it whenever it does hash it
    weights_sha256: str | None = None
    created_at: datetime = Field(default_factory=utc_now)
    toolpast_version: str = Field(default_factory=toolpast_version)

    def write(self, directory: str | Path) -> Path:
        return self.write_json(Path(directory) / MANIFEST_NAME)

    @classmethod
    def load(cls, directory: str | Path) -> VectorManifest:
        """The manifest of a vector dir; a corrupt one is one line naming it (toolpast.json_file)."""
        path = Path(directory) / MANIFEST_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{directory} is not a skill-vector dir (no {MANIFEST_NAME})")
        return read_model(cls, path, "skill-vector manifest")
