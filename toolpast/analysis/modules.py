"""Which layer and which kind of module a parameter belongs to, from its name alone.

The orthogonality analysis reports cosines per layer and per module type, so every tensor name has to map to
one (layer, module) cell. Decoder layers are recognised by a `.layers.<i>.` (Llama, Qwen, Mistral), `.h.<i>.`
(GPT-2) or `.blocks.<i>.` path component; tensors outside them (embeddings, final norm, lm_head) get layer None.
"""

from __future__ import annotations

import re

# Row order of the report and of the heat map.
MODULE_ORDER = (
    "embed_tokens",
    "q_proj",
    "k_proj",
    "v_proj",
    "o_proj",
    "gate_proj",
    "up_proj",
    "down_proj",
    "norm",
    "lm_head",
)
_PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_EMBEDDINGS = ("embed_tokens", "wte", "word_embeddings", "tok_embeddings", "embed_in")
_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks)\.(\d+)\.")


def layer_index(name: str) -> int | None:
    match = _LAYER.search(name)
    return int(match.group(1)) if match else None


def module_type(name: str) -> str:
    """One of MODULE_ORDER, or the parameter's own module name for anything else (e.g. `rotary_emb`)."""
    parts = name.split(".")
    owner = parts[-2] if len(parts) >= 2 and parts[-1] in ("weight", "bias") else parts[-1]
    if owner in _PROJECTIONS:
        return owner
    if owner in _EMBEDDINGS:
        return "embed_tokens"
    if owner == "lm_head":
        return "lm_head"
    if "norm" in owner or owner.startswith("ln"):
        return "norm"  # input_layernorm, post_attention_layernorm, the final model.norm, q_norm/k_norm
    return owner


def module_sort_key(module: str) -> tuple[int, str]:
    return (MODULE_ORDER.index(module), "") if module in MODULE_ORDER else (len(MODULE_ORDER), module)
