"""A scriptable OpenAI-compatible test server (stdlib http.server on loopback) for the openai backend's tests.

`ScriptedServer(respond)` calls `respond(hit, body)` for each POST and sends back what it returns:
`(status, payload)` or `(status, payload, delay_s)`; `.hits` counts requests, `.bodies` keeps them.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from toolenv.http_body import send_json


def completion(content: str, finish_reason: str = "stop", tokens: int | None = 3) -> dict:
    body = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": finish_reason,
                         "message": {"role": "assistant", "content": content}}]}
    if tokens is not None:
        body["usage"] = {"prompt_tokens": 1, "completion_tokens": tokens, "total_tokens": tokens + 1}
    return body


def error(message: str) -> dict:
    return {"error": {"message": message, "type": "server_error", "param": None, "code": None}}


class ScriptedServer:
    def __init__(self, respond):
        outer = self
        self.hits = 0
        self.bodies: list[dict] = []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer._lock:
                    hit = outer.hits
                    outer.hits += 1
                    outer.bodies.append(body)
                status, payload, *delay = respond(hit, body)
                if delay:
                    time.sleep(delay[0])
                send_json(self, status, payload)  # a client that gave up (timeout) just ends the connection

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cache_files(cache_dir) -> list:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file()) if cache_dir.exists() else []
