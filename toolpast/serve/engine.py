"""The model behind `toolpast serve`: one chat completion with transformers' `generate`, exactly like the hf backend.

The prompt is the tokenizer's chat template with the generation prompt appended; greedy decoding uses the same
`generate` arguments as `rollout.hf.HFGenerator`, so a reply served here is token for token what the hf backend
produces for the same conversation. Calls are serialised with a lock: one model, one request at a time (a
seed then makes sampling reproducible, since nothing else draws from torch's RNG in between).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import torch
from transformers import StoppingCriteria, StoppingCriteriaList

DEFAULT_MAX_TOKENS = 512  # when a request names no max_tokens (capped by the context left)


class ContextTooLong(ValueError):
    """The prompt plus max_tokens do not fit in the model's context."""


@dataclass(frozen=True)
class Completion:
    text: str
    finish_reason: str  # "stop" (EOS or a stop string) or "length" (max_tokens reached)
    prompt_tokens: int
    completion_tokens: int


class _StopText(StoppingCriteria):
    """Stop once the reply (not the prompt: transformers' stop_strings also match across the prompt's end)
    contains a stop string."""

    def __init__(self, tokenizer, prompt_len: int, stops: list[str]):
        self.tokenizer, self.prompt_len, self.stops = tokenizer, prompt_len, stops

    def __call__(self, input_ids, scores, **kwargs) -> torch.Tensor:
        text = self.tokenizer.decode(input_ids[0, self.prompt_len:], skip_special_tokens=True)
        return torch.tensor([any(s in text for s in self.stops)], device=input_ids.device)


class HFChatEngine:
    def __init__(self, model, tokenizer, name: str):
        self.model, self.tokenizer, self.name = model.eval(), tokenizer, name
        self.eos_id = tokenizer.eos_token_id
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
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

    @torch.no_grad()
    def complete(self, messages: list[dict[str, str]], max_tokens: int | None = None, temperature: float = 1.0,
                 top_p: float = 1.0, seed: int | None = None, stop: list[str] | None = None) -> Completion:
        with self._lock:  # the tokenizer too: a Rust tokenizer shared by threads can raise "Already borrowed"
            prompt = self.prompt_ids(messages)
            budget = self.budget(len(prompt), max_tokens)
            device = next(self.model.parameters()).device
            ids = torch.tensor([prompt], dtype=torch.long, device=device)
            sample = temperature > 0
            stopper = StoppingCriteriaList([_StopText(self.tokenizer, len(prompt), stop)]) if stop else None
            if seed is not None:
                torch.manual_seed(seed)
            out = self.model.generate(
                input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=budget, do_sample=sample,
                temperature=temperature if sample else None, top_p=top_p if sample else None, top_k=None,
                pad_token_id=self.pad_id, eos_token_id=self.eos_id, stopping_criteria=stopper)
            new = out[0, len(prompt):].tolist()
            if self.eos_id in new:
                new = new[:new.index(self.eos_id) + 1]
                finish = "stop"
            else:
                finish = "length" if len(new) >= budget else "stop"
            text = self.tokenizer.decode(new, skip_special_tokens=True)
        cuts = [i for i in (text.find(s) for s in stop or []) if i >= 0]
        if cuts:  # OpenAI's reply ends before the stop string
            text, finish = text[:min(cuts)], "stop"
        return Completion(text, finish, len(prompt), len(new))
