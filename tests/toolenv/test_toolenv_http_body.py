"""Bounded bodies, JSON depth, replies and the server's listen queue and client timeouts (toolenv.http_body)."""

import http.client
import io
import json
import time

import pytest
from hostile_http import STALLED, expected_queue, queued_connections, seconds_until_closed
from hypothesis import given, settings
from hypothesis import strategies as st

from toolenv import http_body
from toolenv.http_body import (
    BACKLOG,
    MAX_JSON_DEPTH,
    BodyRefused,
    JsonHandler,
    JsonServer,
    JsonTooDeep,
    nests_deeper,
    parse_json,
    read_body,
    send_json,
)


class _Handler:
    def __init__(self, headers: dict, body: bytes):
        self.headers, self.rfile, self.close_connection = headers, io.BytesIO(body), False


def test_reads_exactly_the_declared_length():
    handler = _Handler({"Content-Length": "4"}, b"abcdEXTRA")
    assert read_body(handler, 10) == b"abcd"
    assert not handler.close_connection


@pytest.mark.parametrize("headers,status", [({}, 411), ({"Content-Length": "x"}, 411),
                                            ({"Content-Length": "11"}, 413), ({"Content-Length": "-1"}, 413)])
def test_refuses_without_reading_and_closes_the_connection(headers, status):
    handler = _Handler(headers, b"0123456789AB")
    with pytest.raises(BodyRefused) as refused:
        read_body(handler, 10)
    assert refused.value.status == status
    assert handler.close_connection and handler.rfile.tell() == 0


# --- JSON depth -----------------------------------------------------------------------------------------------

def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


_JSON = st.recursive(st.none() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text('[{"\\'), inner, max_size=3),
                     max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.integers(0, 12), st.booleans())
def test_nesting_depth_is_exact_on_valid_json(value, limit, few_brackets_left):
    text = json.dumps(value).encode()
    with pytest.MonkeyPatch.context() as patch:  # also through the pass-by-pass path a large body takes
        patch.setattr(http_body, "_EXACT_BELOW", 2 if few_brackets_left else 1 << 14)
        assert nests_deeper(text, limit) == (_depth(value) > limit)


_16_MB = {"deep": b"[" * 8_000_000 + b"]" * 8_000_000, "wide": b"[" + b"[[]]," * 3_000_000 + b"[]]",
          "open": b"{" * 16_000_000, "escapes": b'{"a": "' + b"[{\\n" * 4_000_000 + b'"}',
          "strings": b"[" + b'"[",' * 4_000_000 + b'"x"]'}


@pytest.mark.parametrize("text", _16_MB.values(), ids=list(_16_MB))
def test_a_16_mb_body_is_scanned_at_bytes_speed(text):
    """About 0.3 s each (a per-character Python loop would take 10 times that): the limit allows a busy machine."""
    start = time.perf_counter()
    nests_deeper(text, MAX_JSON_DEPTH)
    assert time.perf_counter() - start < 2.5


def test_parse_json_refuses_deep_text_before_json_recurses():
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(RecursionError):
        json.loads(deep)  # what the servers ran into
    for raw in (deep, deep.encode(), b'{"a": ' + deep.encode() + b"}"):
        with pytest.raises(JsonTooDeep, match=f"more than {MAX_JSON_DEPTH} deep"):
            parse_json(raw)
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert parse_json(at_limit) == json.loads(at_limit)
    assert parse_json(b'{"s": "[[[[[[[[[["}', max_depth=1) == {"s": "[[[[[[[[[["}  # brackets in strings
    with pytest.raises(ValueError):
        parse_json(b"{not json")
    with pytest.raises(UnicodeDecodeError):
        parse_json(b'"\xff"')


# --- the server: listen queue, timeouts, keep-alive, replies ---------------------------------------------------

class _Echo(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802
        try:
            self.send_json(200, {"echo": parse_json(read_body(self, 1 << 10))})
        except BodyRefused as refused:
            self.send_json(refused.status, {"error": refused.message})


@pytest.fixture
def echo():
    server = JsonServer(("127.0.0.1", 0), _Echo, client_timeout=0.5)
    server.start()
    yield server
    server.close()


@pytest.mark.parametrize("sent", STALLED.values(), ids=list(STALLED))
def test_a_stalled_client_is_disconnected_after_the_client_timeout(echo, sent):
    assert 0.3 < seconds_until_closed(echo, sent) < 3


def test_a_client_dripping_its_request_is_disconnected_at_the_deadline(echo):
    """A socket timeout alone restarts with every byte; the deadline covers the whole request."""
    request = b"POST /x HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    assert seconds_until_closed(echo, request, drip_s=0.1, limit_s=5) < 3  # the drip alone would take 7 s


def test_keep_alive_serves_several_requests_on_one_connection(echo):
    conn, socks = http.client.HTTPConnection(*echo.server_address[:2], timeout=5), set()
    try:
        for i in range(3):
            conn.request("POST", "/x", body=json.dumps([i]), headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert (response.status, json.loads(response.read())) == (200, {"echo": [i]})
            socks.add(conn.sock)
    finally:
        conn.close()
    assert len(socks) == 1  # the same connection each time


def test_a_burst_of_connections_waits_in_the_listen_queue():
    server = JsonServer(("127.0.0.1", 0), _Echo)  # bound and listening, not accepting
    try:
        assert server.request_queue_size == BACKLOG >= 128
        assert queued_connections(server.server_address) >= expected_queue()
    finally:
        server.server_close()


def test_send_json_to_a_client_that_left_just_ends_the_connection():
    class Gone:
        close_connection = False

        def send_response(self, status: int) -> None:
            raise BrokenPipeError

    gone = Gone()
    send_json(gone, 200, {"a": 1})
    assert gone.close_connection
