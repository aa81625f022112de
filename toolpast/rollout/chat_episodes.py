"""Run toolenv episodes on an OpenAI-compatible server, at the message level.

A chat-completions server takes messages, not token ids, so these episodes carry no token record (the RL
stages keep using `episodes.run_episodes`): each turn sends every live episode's conversation at once (a thread
pool, so the server can batch or queue them), then steps each episode with its reply, in order. The record
duck-types `EpisodeRecord` where evaluation reads it (`.episode`, `.model_tokens`).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from toolpast.rollout.openai_chat import ChatResult, OpenAIChatClient

CHARS_PER_TOKEN = 4  # the estimate used when a server reports no usage


@dataclass
class ChatEpisodeRecord:
    """One finished (or cut-off) episode run through a chat server."""

    episode: object
    turns: int = 0
    reported_tokens: int = 0  # sum of the server's usage.completion_tokens
    estimated_tokens: int = 0  # ceil(len(reply) / 4) for the replies that came without usage
    cut_off_turns: int = 0  # replies that ended at max_tokens (finish_reason == "length")
    cached_turns: int = 0

    @property
    def model_tokens(self) -> int:
        return self.reported_tokens + self.estimated_tokens

    def add(self, result: ChatResult) -> None:
        self.turns += 1
        if result.completion_tokens is None:
            self.estimated_tokens += math.ceil(len(result.content) / CHARS_PER_TOKEN)
        else:
            self.reported_tokens += result.completion_tokens
        self.cut_off_turns += result.finish_reason == "length"
        self.cached_turns += result.cached


def run_chat_episodes(episodes: list, client: OpenAIChatClient, max_turns: int, max_tokens: int,
                      concurrency: int = 8, temperature: float = 0.0,
                      seed: int | list[int] | None = None) -> list[ChatEpisodeRecord]:
    """Advance all live episodes together for up to max_turns model turns; greedy by default.

    Seeds matter only when sampling (greedy requests carry none, so their cache entries do not depend on it):
    an int seed gives episode i the seed `seed + i`, so repeated samples of one task differ yet are reproducible;
    a list gives each episode its own (e.g. derived from task id and sample number, stable across resumed runs).
    A request that fails after the client's retries raises `BackendUnavailable` (no episode is half-stepped:
    replies are applied only once the whole turn has answered).
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    if isinstance(seed, list) and len(seed) != len(episodes):
        raise ValueError(f"got {len(seed)} seeds for {len(episodes)} episodes")
    seeds = [None if temperature == 0 or seed is None else seed[i] if isinstance(seed, list) else seed + i
             for i in range(len(episodes))]
    records = [ChatEpisodeRecord(ep) for ep in episodes]
    for ep in episodes:
        ep.reset()
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="chat") as pool:
        for _ in range(max_turns):
            live = [(i, r) for i, r in enumerate(records) if not r.episode.done]
            if not live:
                break
            futures = [pool.submit(client.complete, r.episode.messages, max_tokens, temperature, seeds[i])
                       for i, r in live]
            try:
                results = [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                wait(futures)
                raise
            for (_, record), result in zip(live, results):
                record.add(result)
                record.episode.step(result.content)  # a cut-off reply is still the model's turn
    return records


def make_chat_client(cfg, cache_root: Path, model: str | None = None) -> OpenAIChatClient:
    """The client an `EvalConfig` describes; `model` overrides `cfg.openai_model`. Responses are cached under
    `cache_root` when `cfg.response_cache` is on."""
    if not cfg.openai_base_url:
        raise ValueError("the openai backend needs a server: --set eval.openai_base_url=http://127.0.0.1:8000/v1 "
                         "(e.g. from `toolpast serve --model M`)")
    name = model or cfg.openai_model
    if not name:
        raise ValueError("the openai backend needs a model name: --set eval.openai_model=NAME (the name the "
                         "server lists at GET /v1/models)")
    return OpenAIChatClient(cfg.openai_base_url, name, api_key=os.environ.get(cfg.openai_api_key_env) or "EMPTY",
                            timeout_s=cfg.request_timeout_s, max_retries=cfg.max_retries,
                            cache_dir=Path(cache_root) if cfg.response_cache else None)
