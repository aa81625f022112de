"""The HTTP side of `toolpast serve`: stdlib ThreadingHTTPServer, loopback by default.

Each connection gets a thread (HTTP/1.1 keep-alive, as the openai client pools connections); the engine
serialises model calls. A handler error becomes a 500 in OpenAI's error body, and a client that hung up
(e.g. after its own timeout) is ignored.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from toolenv.http_body import BodyRefused, read_body
from toolpast.serve.app import ChatApp
from toolpast.serve.schema import error_body

_MAX_BODY = 16 << 20


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def send_json(handler: BaseHTTPRequestHandler, status: int, payload: dict) -> None:
    """Write one JSON response; a client that already went away (closed, reset, timed out) just ends the
    connection instead of raising in the handler thread."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except OSError:
        handler.close_connection = True


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, payload: dict) -> None:
        send_json(self, status, payload)

    def _dispatch(self, method: str) -> None:
        body = b""
        if method == "POST":
            try:
                body = read_body(self, _MAX_BODY)
            except BodyRefused as refused:
                return self._send(refused.status, error_body(refused.message))
        try:
            status, payload = self.server.app.handle(method, self.path, body)
        except Exception as e:  # noqa: BLE001 - the server keeps serving; the client sees a 500 and may retry
            status, payload = 500, error_body(f"Internal server error: {type(e).__name__}: {e}", kind="server_error")
        self._send(status, payload)

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (signature of the base class)
        if self.server.verbose:
            super().log_message(format, *args)


class ChatServer(ThreadingHTTPServer):
    """A bound server; `port=0` picks a free port (see `.url`). `serve_forever()`, or `start()` in a thread."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, app: ChatApp, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False):
        self.app, self.verbose = app, verbose
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                  name="toolpast-serve")
        thread.start()
        return thread

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def serve(spec: str, host: str = "127.0.0.1", port: int = 8000, dtype: str = "float32", verbose: bool = False,
          threads: int | None = None) -> int:
    """`toolpast serve`: load the model, print the URL, serve until interrupted."""
    from toolpast.serve.engine import HFChatEngine

    if not 0 <= port <= 65535:  # before the model load, not after it
        raise ValueError(f"--port must be 0-65535 (0 picks a free port), got {port}")
    if threads is not None:
        import torch

        torch.set_num_threads(threads)

    if not is_loopback(host):
        print(f"toolpast serve: warning: binding {host}, not loopback: anyone who can reach this machine can use the "
              "model (there is no authentication)", file=sys.stderr, flush=True)
    engine = HFChatEngine.load(spec, dtype=dtype)
    try:
        server = ChatServer(ChatApp(engine), host, port, verbose=verbose)
    except OSError as error:  # in use, not ours to bind, or no such address
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    print(f"serving model {engine.name!r} at {server.url}  (POST /v1/chat/completions; Ctrl-C stops)", flush=True)
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
