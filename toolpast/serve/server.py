"""The HTTP side of `toolpast serve`: stdlib ThreadingHTTPServer, loopback by default.

Each connection gets a thread (HTTP/1.1 keep-alive, as the openai client pools connections); the engine
serialises model calls. Bursts wait in the listen queue, idle or slow clients are disconnected, bodies are
bounded (toolenv.http_body, shared with toolenv's server). A handler error becomes a 500 in OpenAI's error body,
and a client that hung up (e.g. after its own timeout) is ignored.
"""

from __future__ import annotations

import ipaddress
import signal
import sys

from toolenv.http_body import CLIENT_TIMEOUT_S, BodyRefused, JsonHandler, JsonServer, read_body
from toolpast.serve.app import ChatApp
from toolpast.serve.schema import error_body

__all__ = ["ChatServer", "is_loopback", "serve"]

_MAX_BODY = 16 << 20


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Handler(JsonHandler):
    server: ChatServer

    def _dispatch(self, method: str) -> None:
        body = b""
        if method == "POST":
            try:
                body = read_body(self, _MAX_BODY)
            except BodyRefused as refused:
                return self.send_json(refused.status, error_body(refused.message))
        try:
            status, payload = self.server.app.handle(method, self.path, body)
        except Exception as e:  # noqa: BLE001 - the server keeps serving; the client sees a 500 and may retry
            status, payload = 500, error_body(f"Internal server error: {type(e).__name__}: {e}", kind="server_error")
        self.send_json(status, payload)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")


class ChatServer(JsonServer):
    """A bound server; `port=0` picks a free port (see `.url`). `serve_forever()`, or `start()` in a thread, once
    `app` is set (it may be None while the model loads)."""

    def __init__(self, app: ChatApp | None, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False,
                 client_timeout: float = CLIENT_TIMEOUT_S):
        self.app = app
        super().__init__((host, port), _Handler, verbose, client_timeout)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(spec: str, host: str = "127.0.0.1", port: int = 8000, dtype: str = "float32", verbose: bool = False,
          threads: int | None = None) -> int:
    """`toolpast serve`: load the model, print the URL, serve until interrupted."""
    if not 0 <= port <= 65535:  # before torch and the model load, not after them
        raise ValueError(f"--port must be 0-65535 (0 picks a free port), got {port}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    from toolpast.serve.engine import HFChatEngine

    if threads is not None:
        import torch

        torch.set_num_threads(threads)

    if not is_loopback(host):
        print(f"toolpast serve: warning: binding {host}, not loopback: anyone who can reach this machine can use the "
              "model (there is no authentication)", file=sys.stderr, flush=True)
    try:  # the port first: a busy one fails at once, not after the model load
        server = ChatServer(None, host, port, verbose=verbose)
    except OSError as error:  # in use, not ours to bind, or no such address
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        server.app = ChatApp(HFChatEngine.load(spec, dtype=dtype))  # early clients wait in the listen queue
    except BaseException:
        server.server_close()
        raise
    print(f"serving model {server.app.engine.name!r} at {server.url}  (POST /v1/chat/completions; Ctrl-C stops)",
          flush=True)
    # Started in the background by a non-interactive shell, a process inherits SIGINT as *ignored*, and Python
    # then never raises KeyboardInterrupt: take both stop signals explicitly so Ctrl-C and `kill` always stop it.
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, _raise_keyboard_interrupt)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("toolpast serve: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0
