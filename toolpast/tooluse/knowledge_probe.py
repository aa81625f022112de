"""Score one model checkpoint on closed-book knowledge probes (``toolenv.probes``): the ladder's first rung.

Each probe is asked as a single user turn through the model's chat template (no system prompt, no tools, no
docs) and answered greedily by the evaluation's own token-level machinery (``ChatTokens`` + ``HFGenerator``);
replies are scored by ``toolenv.probes.score_probe``. One model per call: the caller loops over checkpoints.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from toolenv.probes import Probe, score_probe
from toolpast.io import atomic_write_text
from toolpast.rollout.generator import TokenGenerator

__all__ = ["probe_accuracy"]


def probe_accuracy(model_dir: Path, probes: list[Probe], *, batch_size: int = 32, max_new_tokens: int = 48,
                   dtype: str = "float32", seed: int = 0, workdir: Path | None = None,
                   function_names: list[str] | None = None, generator: TokenGenerator | None = None,
                   bf16_autocast: bool = False) -> dict:
    """``{"knowledge_accuracy", "knowledge_n", "by_kind": {kind: accuracy}}``; with ``workdir``, also
    ``probes.jsonl`` (one row per probe: id, kind, function, question, reply, correct).

    ``function_names``: the candidates a which_api reply may name first; default: the probes' own functions
    (the whole category when the probes come from ``knowledge_probes``). ``generator``: a token-level
    generator to use instead of loading ``model_dir``'s weights (tests; the tokenizer still comes from
    ``model_dir``)."""
    if not probes:
        raise ValueError("probe_accuracy needs at least one probe")
    from toolpast.models import load_tokenizer
    from toolpast.rollout.chat_tokens import ChatTokens

    tokenizer = load_tokenizer(Path(model_dir))
    chat = ChatTokens(tokenizer)
    if generator is None:
        from toolpast.distributed import device_kind
        from toolpast.models import load_model
        from toolpast.rollout.hf import HFGenerator

        model = load_model(Path(model_dir), dtype=dtype, device=device_kind())
        generator = HFGenerator(model, tokenizer, batch_size=batch_size, temperature=0.0, seed=seed,
                                reuse_cache=False, bf16_autocast=bf16_autocast)
    prompts = [chat.prompt_ids([{"role": "user", "content": p.question}]) for p in probes]
    replies = [chat.turn_text(ids).strip() for ids in generator.generate(prompts, max_new_tokens)]
    names = function_names if function_names is not None else sorted({p.function for p in probes})
    correct = [score_probe(p, r, names) for p, r in zip(probes, replies, strict=True)]
    kinds: dict[str, list[bool]] = defaultdict(list)
    for p, ok in zip(probes, correct, strict=True):
        kinds[p.kind].append(ok)
    if workdir is not None:
        rows = [json.dumps({"id": p.id, "kind": p.kind, "function": p.function, "question": p.question,
                            "reply": r, "correct": ok}, ensure_ascii=False)
                for p, r, ok in zip(probes, replies, correct, strict=True)]
        atomic_write_text(Path(workdir) / "probes.jsonl", "".join(row + "\n" for row in rows))
    return {"knowledge_accuracy": sum(correct) / len(correct), "knowledge_n": len(correct),
            "by_kind": {kind: sum(oks) / len(oks) for kind, oks in sorted(kinds.items())}}
