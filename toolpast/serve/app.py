"""The endpoints of `toolpast serve`, free of HTTP: (method, path, body bytes) in, (status, JSON) out.

POST /v1/chat/completions, GET /v1/models, GET /health; anything else is 404 (405 for a known path with the
wrong method). Errors use OpenAI's body, `{"error": {"message", "type", "param", "code"}}`, so clients report
them as they would OpenAI's.
"""

from __future__ import annotations

import time

from pydantic import ValidationError

from toolenv.http_body import JsonTooDeep, parse_json
from toolpast.serve.engine import ContextTooLong, HFChatEngine
from toolpast.serve.schema import ChatRequest, completion_body, error_body, models_body

CHAT, MODELS, HEALTH = "/v1/chat/completions", "/v1/models", "/health"
_METHODS = {CHAT: "POST", MODELS: "GET", HEALTH: "GET"}


def _validation_message(error: ValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    param = ".".join(str(p) for p in first["loc"]) or None
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg'].removeprefix('Value error, ')}"
                         for e in error.errors()[:5])
    return f"Invalid request: {problems}", param


class ChatApp:
    def __init__(self, engine: HFChatEngine):
        self.engine = engine
        self.created = int(time.time())

    def handle(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict]:
        path = path.split("?", 1)[0].rstrip("/") or "/"
        expected = _METHODS.get(path)
        if expected is None:
            return 404, error_body(f"Unknown path {path!r}: this server has POST {CHAT}, GET {MODELS}, GET {HEALTH}.",
                                   code="not_found")
        if method != expected:
            return 405, error_body(f"{path} takes {expected}, not {method}.", code="method_not_allowed")
        if path == HEALTH:
            return 200, {"status": "ok", "model": self.engine.name}
        if path == MODELS:
            return 200, models_body(self.engine.name, self.created)
        return self.chat(body)

    def chat(self, body: bytes) -> tuple[int, dict]:
        try:
            payload = parse_json(body)
        except JsonTooDeep as e:
            return 400, error_body(f"The request body {e}: refused unparsed.")
        except (UnicodeDecodeError, ValueError) as e:
            return 400, error_body(f"The request body is not valid JSON: {e}.")
        try:
            request = ChatRequest.model_validate(payload)
        except ValidationError as e:
            message, param = _validation_message(e)
            return 400, error_body(message, param=param)
        if request.model is not None and request.model != self.engine.name:
            return 404, error_body(f"The model {request.model!r} does not exist; this server serves "
                                   f"{self.engine.name!r}.", param="model", code="model_not_found")
        messages = [m.as_template_message() for m in request.messages]
        temperature = 1.0 if request.temperature is None else request.temperature
        try:
            done = self.engine.complete(messages, request.requested_tokens(), temperature,
                                        1.0 if request.top_p is None else request.top_p, request.seed,
                                        request.stop_list())
        except ContextTooLong as e:
            return 400, error_body(str(e), param="messages", code="context_length_exceeded")
        except Exception as e:  # noqa: BLE001 - e.g. a chat template that refuses the roles: the client's to fix
            if type(e).__name__ == "TemplateError":
                return 400, error_body(f"The model's chat template refused the messages: {e}", param="messages")
            raise
        return 200, completion_body(self.engine.name, done.text, done.finish_reason, done.prompt_tokens,
                                    done.completion_tokens)
