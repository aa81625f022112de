"""Implications the model under test writes itself ("passage + self implications", SEAL's no-RL baseline).

SEAL's prompt (knowledge-incorporation `make_squad_data.py`, the `implications` template; the same text is the
`prompt` field of every record in SEAL's two implication files, which a test checks) is filled with the title and
the passage; the completion is cut into training documents by `toolpast.qa.sequences` exactly like the Qwen and
GPT-4.1 completions. SEAL samples at temperature 1; the default here is greedy (deterministic, and a 135M model
sampled at 1.0 mostly writes noise); `implications.temperature` sets sampling, seeded by the run seed.
"""

from __future__ import annotations

from toolpast.qa.config import ImplicationConfig
from toolpast.qa.records import Passage

IMPLICATIONS_PROMPT = ("Let's read the following passage and produce a list of implications derived directly or "
                       "indirectly from the content.\n\nPassage:\n{title}\n{context}\n\nImplications:\n")


def implications_prompt(passage: Passage) -> str:
    return IMPLICATIONS_PROMPT.format(title=passage.title, context=passage.context)


def write_implications(model, tokenizer, passages: list[Passage], cfg: ImplicationConfig, seed: int) -> list[str]:
    """One completion per passage, in passage order."""
    from toolpast.rollout.hf import HFGenerator

    prompts = []
    for p in passages:
        text = implications_prompt(p)
        if cfg.chat_template:
            text = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                 add_generation_prompt=True)
        prompts.append(tokenizer(text, add_special_tokens=not cfg.chat_template)["input_ids"])
    generator = HFGenerator(model, tokenizer, batch_size=cfg.batch_size, temperature=cfg.temperature,
                            seed=seed if cfg.temperature > 0 else None)
    outputs = generator.generate(prompts, cfg.max_new_tokens)
    return [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in outputs]


def with_self_implications(passages: list[Passage], completions: list[list[str]]) -> list[Passage]:
    """Copies of the passages with `implications["self"]` set (one list of completions per passage)."""
    if len(passages) != len(completions):
        raise ValueError(f"{len(passages)} passages but {len(completions)} lists of self implications")
    out = []
    for p, written in zip(passages, completions):
        copy = p.model_copy(deep=True)
        copy.implications["self"] = list(written)
        out.append(copy)
    return out
