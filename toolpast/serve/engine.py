"""The model behind `toolpast serve`: one chat completion decoded by the hf backend's own loop.

The prompt is the tokenizer's chat template with the generation prompt appended, decoded by
`rollout.hf.HFGenerator` (same greedy argmax or temperature/top-p sampling, EOS and token budget), so a reply
served here is token for token what the hf backend produces for the same conversation. Calls are serialised
with a lock: one model, one request at a time (a seed then makes sampling reproducible, since nothing else draws
from torch's RNG in between). A prompt too long for the context by its length in characters alone is refused
before the lock, so that tokenizing megabytes never stalls the other clients' requests.
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
        # the most characters one token stands for (a byte-level BPE entry is one character per byte): a text of
        # n characters takes at least n / max_token_chars tokens
        self.max_token_chars = max(map(len, tokenizer.get_vocab()), default=1)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, spec: str, dtype: str = "float32", name: str | None = None) -> HFChatEngine:
        """Resolve a model spec (toolpast.models.resolve_model) and load it on the GPU if there is one."""
        from toolpast.models import load_model, load_tokenizer, resolve_model

        path = resolve_model(spec)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        return cls(load_model(path, dtype=dtype, device=device), load_tokenizer(path), name or spec)

    def prompt_text(self, messages: list[dict[str, str]]) -> str:
        """The chat template rendered (Jinja only: the tokenizer is not touched, so no lock is needed)."""
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def prompt_ids(self, text: str) -> list[int]:
        """What `apply_chat_template(tokenize=True)` makes of the rendered text (call under the lock)."""
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def budget(self, prompt_len: int, max_tokens: int | None, at_least: bool = False) -> int:
        """The max_tokens to generate, or ContextTooLong naming the numbers (`at_least`: prompt_len is a bound)."""
        left = None if self.max_context is None else self.max_context - prompt_len
        needed = 1 if max_tokens is None else max_tokens
        if left is not None and (needed > left or needed < 1):
            wants = "no token is left for the reply" if max_tokens is None else f"max_tokens asks for {max_tokens}"
            raise ContextTooLong(f"This model's maximum context length is {self.max_context} tokens; the messages "
                                 f"take {'at least ' if at_least else ''}{prompt_len} and {wants}.")
        if max_tokens is None:
            return DEFAULT_MAX_TOKENS if left is None else min(DEFAULT_MAX_TOKENS, left)
        return max_tokens

    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int | None = None, stop: list[str] | None = None) -> Completion:
        text = self.prompt_text(messages)
        self.budget(-(-len(text) // self.max_token_chars), max_tokens, at_least=True)  # before the lock
        with self._lock:  # the tokenizer too: a Rust tokenizer shared by threads can raise "Already borrowed"
            prompt = self.prompt_ids(text)
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
