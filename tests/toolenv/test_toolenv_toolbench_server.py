"""The StableToolBench-compatible server: POST /virtual on loopback, answered by the simulator."""

from __future__ import annotations

import json

import pytest
from hostile_http import NESTED, STALLED, expected_queue, post, queued_connections, seconds_until_closed

from toolenv.http_body import CLIENT_TIMEOUT_S
from toolenv.toolbench import SuiteOptions, toolbench_suite
from toolenv.toolbench.server import make_server
from toolpast.bench.serve_load import run_load  # standard library only, like this server


def _serving(data, client_timeout: float = CLIENT_TIMEOUT_S):
    srv = make_server(SuiteOptions.build(data_dir=data), port=0, client_timeout=client_timeout)
    srv.start()
    yield srv
    srv.close()


@pytest.fixture
def server(tiny_toolbench):
    yield from _serving(tiny_toolbench)


def _post(srv, body, raw: bytes | None = None):
    return post(srv, "/virtual", raw if raw is not None else json.dumps(body).encode())


def test_binds_loopback_by_default(server):
    assert server.server_address[0] == "127.0.0.1"


def test_answers_a_stabletoolbench_request_like_the_simulator(server):
    # what ToolBench's rapidapi_wrapper sends: standardised names, tool_input as a JSON string
    body = {"category": "Finance", "tool_name": "stock_quotes_for_Finance", "api_name": "get_quote",
            "tool_input": '{"symbol": "AAPL"}', "strip": "truncate", "toolbench_key": ""}
    status, payload = _post(server, body)
    suite = server.api.suite
    api = next(a for a in suite.data.category("finance").apis if a.function_name == "get_quote_for_stock_quotes")
    assert status == 200 and payload == {"error": "", "response": suite.simulator.respond(api, {"symbol": "AAPL"})}
    status, again = _post(server, {**body, "tool_name": "stock_quotes", "tool_input": {"symbol": "AAPL"}})
    assert status == 200 and again == payload
    assert toolbench_suite(suite.options) is suite


def test_bad_arguments_are_errors_in_the_reply_as_in_stabletoolbench(server):
    body = {"category": "Finance", "tool_name": "stock_quotes", "api_name": "get_quote", "tool_input": "{}"}
    status, payload = _post(server, body)
    assert status == 200 and "missing required argument 'symbol'" in payload["error"] and payload["response"] == ""
    status, payload = _post(server, {**body, "tool_input": "{not json"})
    assert status == 200 and "parse error" in payload["error"]


def test_malformed_requests_are_rejected_with_a_clear_4xx(server):
    status, payload = _post(server, None, raw=b"{this is not json")
    assert status == 400 and "not valid JSON" in payload["error"]
    status, payload = _post(server, {"category": "Finance", "tool_input": "{}"})
    assert status == 400 and "tool_name, api_name" in payload["error"]
    status, payload = _post(server, ["a", "list"])
    assert status == 400 and "JSON object" in payload["error"]
    status, payload = _post(server, {"category": "Finance", "tool_name": "stock_quotes", "api_name": "nope"})
    assert status == 404 and "Unknown API" in payload["error"]


# --- hostile clients (see toolenv.http_body) -----------------------------------------------------------------

QUOTE = {"category": "Finance", "tool_name": "stock_quotes", "api_name": "get_quote", "tool_input": {"symbol": "AAPL"}}


@pytest.fixture
def impatient(tiny_toolbench):
    """The server with a half-second client timeout."""
    yield from _serving(tiny_toolbench, client_timeout=0.5)


def test_deeply_nested_json_is_a_400_not_a_dropped_connection(server):
    status, payload = post(server, "/virtual", NESTED)
    assert status == 400 and "nests arrays and objects more than 64 deep" in payload["error"]
    status, payload = post(server, "/virtual", json.dumps({**QUOTE, "tool_input": NESTED.decode()}).encode())
    assert status == 200 and payload["error"].startswith("Tool input parse error: tool_input nests")
    assert _post(server, QUOTE)[0] == 200  # and the server still answers


@pytest.mark.parametrize("sent", STALLED.values(), ids=list(STALLED))
def test_an_idle_or_stalled_client_is_disconnected(impatient, sent):
    assert seconds_until_closed(impatient, sent) < 3


def test_a_burst_of_connections_waits_in_the_listen_queue(tiny_toolbench):
    srv = make_server(SuiteOptions.build(data_dir=tiny_toolbench), port=0)  # listening, not accepting
    try:
        assert queued_connections(srv.server_address) >= expected_queue()
    finally:
        srv.server_close()


def test_200_concurrent_requests_are_all_answered(server):
    host, port = server.server_address[:2]
    result = run_load(f"http://{host}:{port}/virtual", QUOTE, requests=200, deadline_s=30)
    assert (result.sent, result.answered, result.dropped, result.statuses) == (200, 200, 0, {200: 200})
