"""One JSON-object reply from any OpenAI-compatible chat endpoint (simulator and judge).

``openai`` is imported on first use only, so toolenv stays light; the key comes from the
environment variable the caller names (``EMPTY`` when unset: local servers ignore it).
A reply that is not a JSON object is asked for again, up to ``attempts`` times.
"""

from __future__ import annotations

import os
from typing import Any

from toolenv.parsing import loads_lenient

__all__ = ["ChatEndpoint", "EndpointError"]


class EndpointError(RuntimeError):
    """The endpoint could not be reached or never answered with a JSON object."""


class ChatEndpoint:
    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout: float = 120.0) -> None:
        self.base_url, self.model, self.api_key_env, self.timeout = base_url, model, api_key_env, timeout
        self._client: Any = None
        self._json_mode = True

    def _openai(self) -> Any:
        if self._client is None:
            import openai

            self._client = openai.OpenAI(base_url=self.base_url, api_key=os.environ.get(self.api_key_env) or "EMPTY",
                                         timeout=self.timeout, max_retries=2)
        return self._client

    def _complete(self, messages: list[dict[str, str]], temperature: float) -> str:
        import openai

        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": temperature,
                                  "max_tokens": 1024}
        if self._json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        try:
            reply = self._openai().chat.completions.create(**kwargs)
        except openai.BadRequestError:
            if not self._json_mode:
                raise
            self._json_mode = False  # some servers reject response_format: ask in plain text instead
            return self._complete(messages, temperature)
        return reply.choices[0].message.content or ""

    def json_reply(self, messages: list[dict[str, str]], temperature: float = 0.0, attempts: int = 3) -> dict[str, Any]:
        """The first reply that parses as a JSON object; ``EndpointError`` otherwise."""
        import openai

        last = ""
        for _ in range(attempts):
            try:
                last = self._complete(messages, temperature)
            except openai.OpenAIError as e:
                raise EndpointError(f"endpoint {self.base_url} failed: {e}") from e
            try:
                value = loads_lenient(last)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
        raise EndpointError(f"endpoint {self.base_url} gave no JSON object in {attempts} attempts: {last[:200]!r}")
