"""`toolpast bench serve-load`: the burst is bounded (exactly N requests, a deadline) and counts what is dropped.
Bursts against each server in-process are in their own tests (tests/toolpast/serve, tests/toolenv)."""

import math
import re
import socket
import time
from collections import Counter

import pytest

from toolpast.bench.serve_load import LoadResult, run_load, run_serve_load
from toolpast.cli import build_parser


def test_percentiles_and_drops():
    result = LoadResult("x", 5, [0.4, 0.1, 0.3, 0.2], Counter({200: 4}), 1.0)
    assert (result.answered, result.dropped, result.percentile(50), result.percentile(99)) == (4, 1, 0.2, 0.4)
    assert math.isnan(LoadResult("x", 3, [], Counter(), 1.0).percentile(50))


def test_nothing_listening_drops_everything_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
    result = run_load(f"http://127.0.0.1:{port}/v1/chat/completions", {}, requests=20, deadline_s=10)
    assert (result.sent, result.answered, result.dropped, result.late) == (20, 0, 20, 0) and result.wall_s < 5


def test_a_server_that_never_answers_is_cut_off_at_the_deadline():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(64)  # connections complete in the queue, nothing ever reads them
        start = time.monotonic()
        result = run_load(f"http://127.0.0.1:{s.getsockname()[1]}/virtual", {}, requests=30, deadline_s=1)
    assert result.dropped == result.late == 30 and time.monotonic() - start < 4


def test_serve_load_is_a_bench_subcommand():
    args = build_parser().parse_args(["bench", "serve-load", "--servers", "chat", "--requests", "5"])
    assert (args.servers, args.requests, args.deadline, args.model) == ("chat", 5, 60.0, "smollm2-135m-instruct")
    with pytest.raises(ValueError, match="not nope"):
        run_serve_load(servers=["chat", "nope"])


@pytest.mark.slow
def test_serve_load_starts_the_chat_server_and_reports_a_row(tiny_model_dir, session_home, capsys, monkeypatch):
    monkeypatch.setenv("TOOLPAST_HOME", str(session_home))
    assert run_serve_load("tiny-random", requests=20, deadline_s=60, servers=["chat"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"chat +20 +20 +0 +0 +[\d.]+ +[\d.]+ +[\d.]+  200:20", lines[-2]) and lines[-1] == "dropped: 0"
