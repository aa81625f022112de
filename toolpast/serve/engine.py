"""The model behind `toolpast serve`: one chat completion decoded by the hf backend's own loop.

The prompt is the tokenizer's chat template with the generation prompt appended, decoded by
`rollout.hf.HFGenerator` (same greedy argmax or temperature/top-p sampling, EOS and token budget), so a reply
served here is token for token what the hf backend produces for the same conversation. Calls are serialised
with a lock: one model, one request at a time (a seed then makes sampling reproducible, since nothing else draws
from torch's RNG in between).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch

from toolpast.rollout.hf import HFGenerator

DEFAULT_MAX_TOKENS = 512  # when a request names no max_tokens (capped by the context left)


class ContextTooLong(ValueError):
    """The prompt plus max_tokens do not fit in the model's context."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (max_tokens reached)
    prompt_tokens: int
    completion_tokens: int


class HFChatEngine:
    def __init__(self, model, tokenizer, name: str):
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name
        self.eos_id = tokenizer.eos_token_id
        self.max_context = getattr(model.config, "max_position_embeddings", None)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, spec: str, dtype: str = "float32", name: str | None = None) -> HFChatEngine:
        """Resolve a model spec (toolpast.models.resolve_model) and load it on the GPU if there is one."""
        from toolpast.models import load_model, load_tokenizer, resolve_model

        path = resolve_model(spec)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return cls(load_model(path, dtype=dtype, device=device), load_tokenizer(path), name or spec)

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        ids = self.tokenizer.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
        return list(ids["input_ids"] if hasattr(ids, "keys") else ids)

    def budget(self, prompt_len: int, max_tokens: int | None) -> int:
        """The max_tokens to generate, or ContextTooLong naming the numbers."""
        left = None if self.max_context is None else self.max_context - prompt_len
        if max_tokens is None:
            max_tokens = DEFAULT_MAX_TOKENS if left is None else min(DEFAULT_MAX_TOKENS, left)
        if left is not None and (max_tokens > left or max_tokens < 1):
            raise ContextTooLong(f"This model's maximum context length is {self.max_context} tokens; the messages "
                                 f"take {prompt_len} and max_tokens asks for {max_tokens}.")
        return max_tokens

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int | None = None, stop: list[str] | None = None) -> Completion:
        with self._lock:  # the tokenizer too: a Rust tokenizer shared by threads can raise "Already borrowed"
            prompt = self.prompt_ids(messages)
            budget = self.budget(len(prompt), max_tokens)
            generator = HFGenerator(self.model, self.tokenizer, batch_size=1, temperature=temperature, top_p=top_p,
                                    seed=seed, reuse_cache=False)
            new = generator.generate([prompt], budget, stop=self._stop_text(stop) if stop else None)[0]
            finish = "length" if len(new) >= budget and new[-1] != self.eos_id else "stop"
            text = self.tokenizer.decode(new, skip_special_tokens=True)
        cuts = [i for i in (text.find(s) for s in stop or []) if i >= 0]
        if cuts:  # OpenAI's reply ends before the stop string
            text, finish = text[:min(cuts)], "stop"
        return Completion(text, finish, len(prompt), len(new))

    def _stop_text(self, stops: list[str]):
        """Ends a reply once it (not the prompt) contains a stop string."""
        return lambda new: any(s in self.tokenizer.decode(new, skip_special_tokens=True) for s in stops)
