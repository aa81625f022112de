"""Tied input/output embeddings: one tensor under two names, stored (and diffed) once.

With `tie_word_embeddings`, `lm_head.weight` *is* the input embedding; HF usually omits it from the files,
but some exporters write both copies. Either way a skill vector stores the delta once, under the embedding's
name, and records the alias so injection can update a target that does store `lm_head.weight` separately.
"""

from __future__ import annotations

from typing import Any

from toolpast.vectors.checkpoint import Checkpoint

OUTPUT_EMBEDDING = "lm_head.weight"
INPUT_EMBEDDING_SUFFIXES = (
    "embed_tokens.weight",
    "wte.weight",
    "word_embeddings.weight",
    "tok_embeddings.weight",
    "embed_in.weight",
)


def tie_flag(config: dict[str, Any]) -> bool | None:
    if "tie_word_embeddings" in config:
        return bool(config["tie_word_embeddings"])
    text = config.get("text_config")
    if isinstance(text, dict) and "tie_word_embeddings" in text:
        return bool(text["tie_word_embeddings"])
    return None


def tied_aliases(ckpt: Checkpoint) -> dict[str, str]:
    """`{"lm_head.weight": <input embedding name>}` if the checkpoint ties them, else `{}`.

    Trusts `tie_word_embeddings` when the config has it; when it is silent, a missing `lm_head.weight` next
    to exactly one input embedding means tied (that is how HF saves tied models).
    """
    embeds = [n for n in ckpt.names if n.endswith(INPUT_EMBEDDING_SUFFIXES)]
    if len(embeds) != 1:
        return {}
    flag = tie_flag(ckpt.config())
    if flag is None:
        flag = OUTPUT_EMBEDDING not in ckpt
    if not flag:
        return {}
    if OUTPUT_EMBEDDING in ckpt and ckpt.info(OUTPUT_EMBEDDING).shape != ckpt.info(embeds[0]).shape:
        return {}  # the config says tied but the shapes say otherwise: treat as two tensors
    return {OUTPUT_EMBEDDING: embeds[0]}
