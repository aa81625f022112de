"""Model provider: turn a model spec (embedded name, local directory or hub id) into a local safetensors dir."""

from toolpast.models.provider import (DEFAULT_MODEL, CorruptCheckpoint, ModelNotAvailable, load_model, load_tokenizer,
                                      resolve_model)

__all__ = ["DEFAULT_MODEL", "CorruptCheckpoint", "ModelNotAvailable", "load_model", "load_tokenizer", "resolve_model"]
