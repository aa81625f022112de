"""Reading a bounded HTTP request body, for every JSON-over-HTTP server of the project (toolenv's StableToolBench
API server and `toolpast serve`): a missing or oversized Content-Length is refused before a byte is read."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class BodyRefused(Exception):
    """The request's body was not read: answer `status` with `message`. The connection is closed, since the unread
    body would otherwise be parsed as the next request."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


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
