"""The `openai` backend's client: one chat completion from any OpenAI-compatible server, retried and cached.

Servers differ (vllm serve, SGLang, llama.cpp, a hosted API, `toolpast serve`) but fail alike: timeouts, dropped
connections, 429 and 5xx. Those are retried here with exponential backoff and jitter (the `openai` package's own
retries are off, so there is one policy and one attempt count); other 4xx are the caller's mistake and are raised
at once. When retries run out the call raises `BackendUnavailable` naming the URL, the attempts and the last
error, so an evaluation stops with a clear message instead of grading empty replies.

Responses are cached on disk, keyed by sha256 of the canonical JSON of the request (model, messages, max_tokens,
temperature, seed, stop), so a rerun of an evaluation costs nothing. Only successful responses are cached, each
file written atomically; sampling (temperature > 0) without a seed is never cached, since it is meant to differ.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import openai

from toolpast.io import atomic_write_json

_MAX_SLEEP_S = 30.0


class BackendUnavailable(RuntimeError):
    """The server could not answer (unreachable, timing out, 429 or 5xx) after every retry."""


class BackendRequestError(ValueError):
    """The server refused the request (a 4xx other than 429) or answered something that is not a chat completion."""


@dataclass(frozen=True)
class ChatResult:
    content: str
    completion_tokens: int | None  # None when the server reports no usage
    finish_reason: str | None  # "stop", "length", ...
    cached: bool = False


def request_key(request: dict) -> str:
    """sha256 of the canonical JSON of a request: the cache file's name."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _retryable(error: Exception) -> bool:
    if isinstance(error, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(error, openai.APIStatusError):
        return error.status_code == 429 or error.status_code >= 500
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    cause = error.__cause__ or error.__context__
    return f"{type(error).__name__}: {error}" + (f" ({type(cause).__name__}: {cause})" if cause else "")


class OpenAIChatClient:
    """`complete(messages, ...)` against `base_url` (e.g. http://127.0.0.1:8000/v1); thread-safe."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 60,
                 max_retries: int = 4, backoff_s: float = 0.5, cache_dir: Path | None = None):
        if timeout_s <= 0 or max_retries < 0 or backoff_s < 0:
            raise ValueError(f"need timeout_s > 0, max_retries >= 0, backoff_s >= 0; got {timeout_s}, "
                             f"{max_retries}, {backoff_s}")
        self.base_url, self.model = base_url.rstrip("/"), model
        self.timeout_s, self.max_retries, self.backoff_s = timeout_s, max_retries, backoff_s
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "EMPTY", timeout=timeout_s,
                                     max_retries=0)
        self._rng = random.Random()
        self._lock = threading.Lock()

    def complete(self, messages: list[dict], max_tokens: int, temperature: float = 0.0, seed: int | None = None,
                 stop: list[str] | None = None) -> ChatResult:
        request = {"model": self.model, "messages": messages, "max_tokens": max_tokens,
                   "temperature": temperature, "seed": seed, "stop": stop}
        path = self._cache_path(request)
        if path is not None and path.is_file():
            hit = self._read_cache(path, request)
            if hit is not None:
                return hit
        result = self._call(request)
        if path is not None:
            atomic_write_json(path, {"request": request, "content": result.content,
                                     "completion_tokens": result.completion_tokens,
                                     "finish_reason": result.finish_reason})
        return result

    def _cache_path(self, request: dict) -> Path | None:
        if self.cache_dir is None or (request["temperature"] > 0 and request["seed"] is None):
            return None
        key = request_key(request)
        return self.cache_dir / key[:2] / f"{key}.json"

    @staticmethod
    def _read_cache(path: Path, request: dict) -> ChatResult | None:
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # unreadable: ask the server again and overwrite it
        if not isinstance(saved, dict) or saved.get("request") != request or not isinstance(saved.get("content"), str):
            return None
        return ChatResult(saved["content"], saved.get("completion_tokens"), saved.get("finish_reason"), cached=True)

    def _call(self, request: dict) -> ChatResult:
        kwargs = {k: v for k, v in request.items() if v is not None}
        attempts = self.max_retries + 1
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                time.sleep(self._delay(attempt, last))
            try:
                response = self._client.chat.completions.create(**kwargs)
            except openai.APIError as error:
                if not _retryable(error):
                    raise BackendRequestError(f"{self.base_url} refused the chat completion for model "
                                              f"{self.model!r}: {_describe(error)}") from error
                last = error
                continue
            return self._parse(response)
        raise BackendUnavailable(f"{self.base_url} did not answer a chat completion for model {self.model!r} after "
                                 f"{attempts} attempt(s) (timeout {self.timeout_s:g} s each): last error "
                                 f"{_describe(last)}") from last

    def _delay(self, attempt: int, error: Exception | None) -> float:
        with self._lock:
            jitter = 0.5 + self._rng.random()
        delay = self.backoff_s * 2 ** (attempt - 1) * jitter
        if isinstance(error, openai.APIStatusError):  # honour Retry-After on 429 / 503
            try:
                delay = max(delay, float(error.response.headers.get("retry-after", 0)))
            except ValueError:
                pass
        return min(delay, _MAX_SLEEP_S)

    def _parse(self, response) -> ChatResult:
        choices = getattr(response, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise BackendRequestError(f"{self.base_url} answered without a chat completion choice: {response!r:.300}")
        choice = choices[0]
        usage = getattr(response, "usage", None)
        tokens = getattr(usage, "completion_tokens", None) if usage is not None else None
        return ChatResult(choice.message.content or "", tokens, choice.finish_reason)
