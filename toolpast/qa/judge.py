"""An LLM judge for QA answers through any OpenAI-compatible endpoint: SEAL's yes/no prompt or PaST's True/False.

The client is anything with `.complete(messages, max_tokens, temperature=0.0, ...)` returning an object with
`.content` (toolpast.rollout.openai_chat.OpenAIChatClient in practice). Verdicts are cached on disk, one JSON file
per (style, model, question, gold, prediction), written atomically, so a rerun or a second grading of the same
answers costs nothing; a call that raises caches nothing. A reply that says neither answer (or both) counts as
incorrect, as in SEAL's `parse_yes_no`, and is recorded in `unparseable` and in the cached verdict (`parsed`).
An empty answer is incorrect without asking, as in SEAL's TTT server.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from toolpast.io import atomic_write_json
from toolpast.qa.prompts import judge_messages

JudgeStyle = Literal["seal", "past"]
_WORDS = {"seal": ("yes", "no"), "past": ("true", "false")}


class JudgeVerdict(BaseModel):
    correct: bool = Field(description="The judge's verdict (False when its reply was unparseable).")
    parsed: bool = Field(description="Whether the reply said exactly one of the two answers.")
    reply: str = Field(description="The judge's raw reply ('' for an empty prediction, which is never sent).")
    cached: bool = Field(False, description="Read from the verdict cache rather than asked.")


def parse_reply(style: JudgeStyle, text: str) -> bool | None:
    """True/False for a clear yes/no (seal) or True/False (past) reply, any case, punctuation or extra words;
    None when it contains neither word or both."""
    positive, negative = _WORDS[style]
    has_pos = re.search(rf"\b{positive}\b", text, re.IGNORECASE) is not None
    has_neg = re.search(rf"\b{negative}\b", text, re.IGNORECASE) is not None
    return None if has_pos == has_neg else has_pos


class LLMJudge:
    """`judge(question, gold, prediction) -> bool` by asking an LLM, with an on-disk verdict cache."""

    def __init__(self, client, style: JudgeStyle, cache_dir: Path | None = None, max_tokens: int = 16,
                 model: str | None = None):
        if style not in _WORDS:
            raise ValueError(f"unknown judge style {style!r}: expected 'seal' or 'past'")
        self.client, self.style, self.max_tokens = client, style, max_tokens
        self.model = model or getattr(client, "model", None) or "unknown"
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.name = f"llm:{style}:{self.model}"
        self.unparseable: list[dict] = []

    def _cache_path(self, question: str, gold: str, prediction: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = json.dumps([self.style, self.model, question, gold, prediction], ensure_ascii=False)
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.cache_dir / self.style / digest[:2] / f"{digest}.json"

    def verdict(self, question: str, gold: str, prediction: str) -> JudgeVerdict:
        prediction = prediction.strip()
        if not prediction:
            return JudgeVerdict(correct=False, parsed=True, reply="")
        path = self._cache_path(question, gold, prediction)
        if path is not None and path.is_file():
            result = JudgeVerdict.model_validate(json.loads(path.read_text(encoding="utf-8"))["verdict"])
            result.cached = True
        else:
            reply = self.client.complete(judge_messages(self.style, question, gold, prediction),
                                         max_tokens=self.max_tokens, temperature=0.0)
            text = getattr(reply, "content", reply)
            if not isinstance(text, str):
                raise TypeError(f"judge client returned {type(reply).__name__} without a string .content")
            parsed = parse_reply(self.style, text)
            result = JudgeVerdict(correct=bool(parsed), parsed=parsed is not None, reply=text)
            if path is not None:
                atomic_write_json(path, {"style": self.style, "model": self.model, "question": question,
                                         "gold": gold, "prediction": prediction,
                                         "verdict": result.model_dump(exclude={"cached"})})
        if not result.parsed:
            self.unparseable.append({"question": question, "gold": gold, "prediction": prediction,
                                     "reply": result.reply})
        return result

    def judge(self, question: str, gold: str, prediction: str) -> bool:
        return self.verdict(question, gold, prediction).correct
