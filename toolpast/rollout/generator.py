"""The generator interface every rollout backend implements: token ids in, new token ids out."""

from __future__ import annotations

from typing import Protocol


class TokenGenerator(Protocol):
    """Continue each sequence by at most max_new_tokens; each result ends at (and includes) the stop token
    when the model produced one. Greedy when temperature is 0."""

    def generate(self, sequences: list[list[int]], max_new_tokens: int) -> list[list[int]]: ...
