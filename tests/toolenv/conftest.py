"""Shared fixtures for toolenv tests: a few representative categories and tasks."""

from __future__ import annotations

from pathlib import Path

import pytest
from started_servers import started_servers

import toolenv


@pytest.fixture(scope="session")
def finance() -> toolenv.Category:
    return toolenv.get_category("finance", seed=0)


@pytest.fixture(scope="session")
def finance_tasks(finance: toolenv.Category) -> dict[str, toolenv.Task]:
    """One test task per recipe, keyed by recipe name."""
    out: dict[str, toolenv.Task] = {}
    for t in finance.tasks("test") + finance.tasks("train"):
        out.setdefault(t.recipe, t)
    return out


# --- real ToolBench data (toolenv.toolbench) -------------------------------------------------------------

TOOLBENCH_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "stabletoolbench"


@pytest.fixture(scope="session")
def toolbench_dir() -> Path:
    """StableToolBench's solvable queries beside the repo (read in place, never copied)."""
    if not (TOOLBENCH_DATA / "test_instruction").is_dir():
        pytest.skip(f"StableToolBench data not found at {TOOLBENCH_DATA} (../shared beside the repo root)")
    return TOOLBENCH_DATA


def _api(category: str, tool: str, api: str, required=(), optional=(), template=None) -> dict:
    return {"category_name": category, "tool_name": tool, "api_name": api, "api_description": f"{api} of {tool}.",
            "required_parameters": [{"name": n, "type": t, "description": "", "default": d} for n, t, d in required],
            "optional_parameters": [{"name": n, "type": t, "description": "", "default": d} for n, t, d in optional],
            "method": "GET", "template_response": template}


TINY_APIS = {
    "quote": _api("Finance", "Stock Quotes", "Get Quote", [("symbol", "STRING", "AAPL")], [("id", "NUMBER", "")],
                  {"symbol": "str", "price": "float",
                   "history": [{"date": "str", "close": "float", "_list_length": 5}]}),
    "profile": _api("Finance", "Stock Quotes", "Company Profile", [("ticker", "STRING", "")], [],
                    '{"name": "str", "ceo": "str", "employees": "int", "officers": [{"name": "str", "title": "st'),
    "rates": _api("Finance", "FX Rates", "latest-rates", [("base", "STRING", "USD")], [], None),
    "forecast": _api("Weather", "Sky Cast", "Forecast", [("city", "STRING", "Paris"), ("days", "NUMBER", "3")], [],
                     {"temperature": "float", "summary": "str"}),
    "alerts": _api("Weather", "Sky Cast", "Alerts", [("city", "STRING", "Paris")], [], {"alerts": "empty list"}),
}


def _query(qid: int, text: str, *names: str, extra: tuple[str, ...] = ()) -> dict:
    apis = [TINY_APIS[n] for n in (*names, *extra)]
    return {"query": text, "query_id": qid, "api_list": apis,
            "relevant APIs": [[TINY_APIS[n]["tool_name"], TINY_APIS[n]["api_name"]] for n in names]}


@pytest.fixture
def tiny_toolbench(tmp_path) -> Path:
    """A small query folder in ToolBench's format (two groups, two categories), written per test."""
    import json

    folder = tmp_path / "tiny" / "test_instruction"
    folder.mkdir(parents=True)
    g1 = [_query(1, "What is Apple's price and who runs it?", "quote", "profile"),
          _query(2, "Quote MSFT for me.", "quote", extra=("profile",)),
          _query(3, "Latest USD rates?", "rates"),
          _query(4, "Weather in Rome for 2 days, and alerts?", "forecast", "alerts"),
          _query(5, "Any weather alerts in Oslo?", "alerts", extra=("forecast",))]
    g2 = [_query(6, "Price of IBM and EUR rates.", "quote", "rates")]
    (folder / "G1_instruction.json").write_text(json.dumps(g1))
    (folder / "G2_instruction.json").write_text(json.dumps(g2))
    return folder.parent


class FakeChat:
    """An OpenAI-compatible ``POST /chat/completions`` on loopback answering ``reply(messages)``."""

    def __init__(self, reply) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fake = self
        self.requests: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                out = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                                  "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                      "role": "assistant", "content": reply(body["messages"])}}],
                                  "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_chat():
    """Start fake chat endpoints: ``fake_chat(reply)``; all are shut down after the test."""
    yield from started_servers(FakeChat)
