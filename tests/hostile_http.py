"""Hostile clients of the project's JSON servers (`toolpast serve`, toolenv's StableToolBench server), shared by
their tests: each helper returns what the client saw, so a server that never answers fails fast, not by hanging."""

from __future__ import annotations

import http.client
import json
import socket
import time
from pathlib import Path

import pytest

NESTED = b"[" * 100_000 + b"]" * 100_000  # json.loads raises RecursionError (not ValueError) on it

# (what the client sends, then goes quiet): each must be disconnected by the server's client timeout
STALLED = {
    "nothing": b"",
    "http/0.9 request line": b"GET /\r\n",  # http.server still reads headers for it
    "part of a request line": b"POST /v1/chat/completions HTT",
    "headers without their end": b"POST /virtual HTTP/1.1\r\nContent-Length: 10\r\n",
    "part of the body": b"POST /virtual HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a",
}


def post(server, path: str, body: bytes, timeout: float = 10) -> tuple[int, dict]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (whatever it sent before is read and dropped)."""
    try:
        while chunk := sock.recv(65536):
            del chunk
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def seconds_until_closed(server, sent: bytes, limit_s: float = 5.0, drip_s: float | None = None) -> float:
    """Send `sent` (a byte every `drip_s` seconds when given, else at once) and wait for the server to close the
    connection: the seconds that took; the test fails if it is still open after `limit_s`."""
    with socket.create_connection(server.server_address[:2], timeout=limit_s) as sock:
        start = time.monotonic()
        if drip_s is None:
            sock.sendall(sent)
        else:
            sock.settimeout(drip_s)
            for byte in sent:
                try:
                    sock.send(bytes([byte]))
                except ConnectionError:
                    return time.monotonic() - start
                if _closed(sock) or time.monotonic() - start > limit_s:
                    break
        sock.settimeout(max(limit_s - (time.monotonic() - start), 0.01))
        if not _closed(sock):
            pytest.fail(f"the server still holds the connection {limit_s} s after {sent[:40]!r}")
        return time.monotonic() - start


def queued_connections(address: tuple[str, int], wanted: int = 150) -> int:
    """How many connections complete against a bound server that is not accepting: its listen queue."""
    socks: list[socket.socket] = []
    try:
        for _ in range(wanted):
            sock = socket.socket()
            socks.append(sock)
            sock.settimeout(0.5)
            try:
                sock.connect(address)
            except TimeoutError:
                return len(socks) - 1
        return wanted
    finally:
        for sock in socks:
            sock.close()


def expected_queue(wanted: int = 150) -> int:
    """`wanted`, or less where the kernel caps listen queues lower (net.core.somaxconn)."""
    cap = Path("/proc/sys/net/core/somaxconn")
    return min(wanted, int(cap.read_text()) + 1) if cap.exists() else wanted
