"""The request and response shapes of OpenAI's chat-completions API, as far as `toolpast serve` implements it.

Requests are validated with pydantic so a bad field gets a 400 that names it, in OpenAI's error body, instead
of a traceback; unknown fields are ignored (clients send many optional ones), but the ones whose meaning we
cannot honour (n > 1, streaming, tools) are refused rather than silently dropped.
"""

from __future__ import annotations

import time
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["text"]
    text: str


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None

    def as_template_message(self) -> dict[str, str]:
        """The {role, content} dict a chat template renders (text parts joined; developer = system)."""
        content = self.content if isinstance(self.content, str) else "".join(p.text for p in self.content or [])
        return {"role": "system" if self.role == "developer" else self.role, "content": content}


class ChatRequest(BaseModel):
    """POST /v1/chat/completions body. null means the OpenAI default, as in OpenAI's API."""

    model_config = ConfigDict(extra="ignore")
    model: str | None = Field(None, description="Must name the served model when given.")
    messages: list[Message] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2, description="0 = greedy; default 1 as in OpenAI's API.")
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = Field(None, ge=-(2 ** 63), lt=2 ** 63, description="A signed 64-bit integer (OpenAI's API).")
    stop: str | list[str] | None = None
    n: int | None = None
    stream: bool | None = None
    tools: list | None = None

    @model_validator(mode="after")
    def _supported(self) -> ChatRequest:
        if self.n not in (None, 1):
            raise ValueError(f"only n=1 is supported, got n={self.n}")
        if self.stream:
            raise ValueError("streaming is not supported: send stream=false")
        if self.tools:
            raise ValueError("tools are not supported: describe tools in the messages (ReAct text)")
        stops = self.stop_list()
        if len(stops) > 4 or any(not s for s in stops):
            raise ValueError("stop must be a non-empty string or a list of at most 4 non-empty strings")
        return self

    def stop_list(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])

    def requested_tokens(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None else self.max_tokens


def error_body(message: str, kind: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def completion_body(model: str, content: str, finish_reason: str, prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "logprobs": None,
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def models_body(model: str, created: int) -> dict:
    return {"object": "list", "data": [{"id": model, "object": "model", "created": created, "owned_by": "toolpast"}]}
