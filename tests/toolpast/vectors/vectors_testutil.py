"""Helpers for the skill-vector tests: tiny random Llama checkpoints (~100 KB, several shards each).

A uniquely named module (not conftest) so test files can import it without clashing with other test dirs."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open

TINY = dict(
    vocab_size=128,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
)
SHARD = "40KB"  # ~107 KB of fp32 weights -> 3 input shards
OUT_SHARD_BYTES = 40_000  # output shards; the largest tensor (embeddings) is 16 KiB in fp32


def make_model(seed: int, **overrides):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**{**TINY, **overrides})).eval()


def perturb(model, seed: int, scale: float):
    """A copy of `model` with N(0, scale^2) noise added to every parameter (a stand-in for an RL update)."""
    import copy

    g = torch.Generator().manual_seed(seed)
    out = copy.deepcopy(model)
    with torch.no_grad():
        for p in out.parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=torch.float32).to(p.dtype) * scale)
    return out


def save(model, path: Path, dtype: torch.dtype | None = None, shard: str = SHARD) -> Path:
    if dtype is not None:
        model = model.to(dtype)
    model.save_pretrained(path, safe_serialization=True, max_shard_size=shard)
    (path / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 64, "marker": path.name}))
    (path / "special_tokens_map.json").write_text(json.dumps({"eos_token": "</s>"}))
    return path


def load_dir(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor of every .safetensors file in `path`."""
    out: dict[str, torch.Tensor] = {}
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as h:
            for k in h.keys():
                out[k] = h.get_tensor(k)
    return out
