import io

import pytest

from toolenv.http_body import BodyRefused, read_body


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
