"""The StableToolBench-compatible server: POST /virtual on loopback, answered by the simulator."""

from __future__ import annotations

import http.client
import json
import threading

import pytest

from toolenv.toolbench import SuiteOptions, toolbench_suite
from toolenv.toolbench.server import make_server


@pytest.fixture
def server(tiny_toolbench):
    srv = make_server(SuiteOptions.build(data_dir=tiny_toolbench), port=0)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def _post(srv, body, raw: bytes | None = None):
    host, port = srv.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("POST", "/virtual", body=raw if raw is not None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    reply = conn.getresponse()
    status, payload = reply.status, json.loads(reply.read())
    conn.close()
    return status, payload


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
