"""The HTTP plumbing of every JSON-over-HTTP server of the project (toolenv's StableToolBench API server and
`toolpast serve`), so that both treat hostile clients alike: a missing or oversized Content-Length is refused
before a byte is read, JSON nested deeper than a limit is refused before `json.loads` recurses, a reply is written
one way, a burst of connections waits in the listen queue instead of being dropped, and a client that is idle or
slow to send its request is disconnected instead of holding a thread forever. Standard library only."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 64  # arrays/objects; a chat or ToolBench request needs under 10
CLIENT_TIMEOUT_S = 30.0  # above httpx's 5 s keep-alive expiry, so a pooled connection is not closed under a client
BACKLOG = 1024  # the listen queue (the stdlib's 5 drops bursts); Linux caps it at net.core.somaxconn

_NOT_STRUCTURE = bytes(set(range(256)) - set(b'"[]{}'))
_STRING = re.compile(rb'"[^"]*"')  # once escapes are gone (no '\"' left inside)
_TO_PARENS = bytes.maketrans(b"[{]}", b"(())")
_EXACT_BELOW = 1 << 14  # brackets left when the depth is counted one by one


class BodyRefused(Exception):
    """The request's body was not read: answer `status` with `message`. The connection is closed, since the unread
    body would otherwise be parsed as the next request."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class JsonTooDeep(ValueError):
    """JSON text nests arrays and objects deeper than the limit (refused unparsed)."""


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int) -> bytes:
    """The request body, at most `max_bytes` of it, or BodyRefused (411 without Content-Length, 413 too large)."""
    try:
        length = int(handler.headers.get("Content-Length", ""))
    except ValueError:
        handler.close_connection = True
        raise BodyRefused(411, "Content-Length is required.") from None
    if not 0 <= length <= max_bytes:
        handler.close_connection = True
        raise BodyRefused(413, f"The request body must be at most {max_bytes} bytes.")
    return handler.rfile.read(length)


def nests_deeper(text: bytes, limit: int) -> bool:
    """Whether JSON text opens more than `limit` arrays/objects inside one another (exact for valid JSON; invalid
    text may be reported deep). Bytes operations only, no recursion and no per-character Python loop on a large
    body: strings are cut out, brackets kept, then each pass of `replace("()", "")` removes one level. The cost
    stays within a small factor of `json.loads`' own (a regex match per string left between brackets)."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False
    unescaped = text.replace(b"\\\\", b"").replace(b'\\"', b"")  # pairs left to right, as JSON reads them
    # with separators gone, '""' is an empty string or two adjacent ones: dropping it keeps every bracket in or out
    strings = unescaped.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    parens, levels = _STRING.sub(b"", strings).translate(_TO_PARENS), 0
    while len(parens) > _EXACT_BELOW:
        if levels > limit or b"(" * (limit + 1 - levels) in parens:
            return True
        fewer = parens.replace(b"()", b"")
        if len(fewer) == len(parens):  # ")))(((": its openers are one run, shorter than the check above
            return False
        parens, levels = fewer, levels + 1
    return levels + max(accumulate(1 if c == 40 else -1 for c in parens), default=0) > limit


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, but JsonTooDeep for text nested deeper than `max_depth`, before json's recursive parser (and
    everything after it) can hit RecursionError. UnicodeDecodeError and ValueError as json.loads."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if nests_deeper(raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass"), max_depth):
        raise JsonTooDeep(f"nests arrays and objects more than {max_depth} deep")
    return json.loads(text)


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


class _DeadlineReader(io.RawIOBase):
    """The socket's read side, each read given only the time left until the request's deadline: a client that
    drips a byte at a time cannot hold its thread past it either (a plain socket timeout restarts on every byte)."""

    def __init__(self, raw: io.RawIOBase, handler: JsonHandler):
        super().__init__()
        self.raw, self.handler = raw, handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        left = self.handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the request did not arrive within {self.handler.timeout} s")
        self.handler.connection.settimeout(left)
        try:
            return self.raw.readinto(buffer)
        finally:
            self.handler.connection.settimeout(self.handler.timeout)  # writes get the whole timeout

    def close(self) -> None:
        self.raw.close()
        super().close()


class JsonHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive; each request (line, headers, body) must arrive within the server's `client_timeout`
    of the server waiting for it, idle keep-alive time included, or the connection is closed (http.server catches
    the TimeoutError). Requests are logged with `verbose` only."""

    server: JsonServer
    protocol_version = "HTTP/1.1"
    deadline = 0.0

    def setup(self) -> None:
        self.timeout = self.server.client_timeout  # StreamRequestHandler applies it to the socket
        super().setup()
        self.rfile = io.BufferedReader(_DeadlineReader(self.rfile.detach(), self))

    def handle_one_request(self) -> None:
        self.deadline = time.monotonic() + self.timeout
        super().handle_one_request()

    def send_json(self, status: int, payload: dict) -> None:
        send_json(self, status, payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of the base class)
        if self.server.verbose:
            super().log_message(format, *args)


class JsonServer(ThreadingHTTPServer):
    """A thread per connection, a listen queue of BACKLOG, and `client_timeout` seconds for each request."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = BACKLOG

    def __init__(self, address: tuple[str, int], handler: type[JsonHandler], verbose: bool = False,
                 client_timeout: float = CLIENT_TIMEOUT_S):
        self.verbose, self.client_timeout = verbose, client_timeout
        super().__init__(address, handler)

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (tests, benchmarks); `close()` stops it."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                  name=type(self).__name__)
        thread.start()
        return thread

    def close(self) -> None:
        """Stop `serve_forever` (which must be running, as shutdown waits for it) and release the socket."""
        self.shutdown()
        self.server_close()

