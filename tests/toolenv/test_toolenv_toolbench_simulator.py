"""API responses in mock, replay and llm mode; arguments validated against the docs in every mode."""

from __future__ import annotations

import json

import pytest

import toolenv
from toolenv.ops import ApiError
from toolenv.toolbench import SuiteOptions, toolbench_suite
from toolenv.toolbench.mock import mock_response


def _suite(data, **options):
    return toolbench_suite(SuiteOptions.build(data_dir=data, **options))


def _api(suite, name):
    return next(a for c in suite.data.categories.values() for a in c.apis if a.function_name == name)


def test_mock_follows_the_template_and_is_a_pure_function_of_the_call(tiny_toolbench):
    api = _api(_suite(tiny_toolbench), "get_quote_for_stock_quotes")
    r = mock_response(api, {"symbol": "AAPL"})
    assert set(r) == {"symbol", "price", "history"} and r["symbol"] == "AAPL"  # a field named like an argument echoes
    assert isinstance(r["price"], float) and len(r["history"]) == 3 and set(r["history"][0]) == {"date", "close"}
    assert mock_response(api, {"symbol": "AAPL"}) == r
    assert mock_response(api, {"symbol": "MSFT"}) != r and mock_response(api, {"symbol": "AAPL"}, seed=1) != r


def test_mock_without_template_or_with_a_truncated_one(tiny_toolbench):
    suite = _suite(tiny_toolbench)
    assert set(mock_response(_api(suite, "latest_rates_for_fx_rates"), {"base": "USD"})) == {"results", "total"}
    profile = mock_response(_api(suite, "company_profile_for_stock_quotes"), {"ticker": "AAPL"})
    assert set(profile) == {"name", "ceo", "employees", "officers"}
    alerts = mock_response(_api(suite, "alerts_for_sky_cast"), {"city": "Oslo"})["alerts"]
    assert len(alerts) == 2 and all(isinstance(a, str) for a in alerts)


def _episode(task):
    ep = toolenv.Episode(task, limits=toolenv.EpisodeLimits(max_steps=10))
    ep.reset()
    return ep


def _quote_task(data, **options):
    cat = toolenv.get_category("finance", suite="stabletoolbench", data_dir=data, **options)
    return next(t for t in cat.tasks("train") + cat.tasks("test") if "get_quote_for_stock_quotes" in t.gold_apis)


@pytest.mark.parametrize(("arguments", "message"), [
    ({}, "missing required argument 'symbol'"),
    ({"symbol": ""}, "empty required argument 'symbol'"),
    ({"symbol": "AAPL", "venue": "x"}, "unexpected argument 'venue'"),
    ({"symbol": "AAPL", "is_id": "seven"}, "'is_id' must be a NUMBER"),
    ([1, 2], "must be a JSON object"),
])
def test_invalid_arguments_are_error_observations(tiny_toolbench, arguments, message):
    ep = _episode(_quote_task(tiny_toolbench))
    obs = ep.call("get_quote_for_stock_quotes", arguments)
    assert obs.error and message in json.loads(obs.text)["error"] and ep.trajectory.steps[-1].status == "invalid_call"


def test_documented_spellings_and_numeric_strings_are_accepted(tiny_toolbench):
    ep = _episode(_quote_task(tiny_toolbench))
    a = ep.call("get_quote_for_stock_quotes", {"symbol": "AAPL", "id": "7"})  # raw name 'id' for 'is_id'
    b = ep.call("get_quote_for_stock_quotes", {"symbol": "AAPL", "unused": None})
    assert not a.error and a.text == ep.call("get_quote_for_stock_quotes", {"symbol": "AAPL", "is_id": "7"}).text
    assert b.error  # 'unused' is still unknown, even as null


def _write_cache(root, entries):
    folder = root / "Finance" / "stock_quotes_for_Finance"  # StableToolBench's own folder naming
    folder.mkdir(parents=True)
    (folder / "get_quote.json").write_text(json.dumps(entries))


def test_replay_reads_stabletoolbench_caches_keyed_by_python_repr(tiny_toolbench, tmp_path):
    cached = {"error": "", "response": {"price": 187.44}}
    _write_cache(tmp_path / "cache", {str({"symbol": "AAPL", "is_id": 7}): cached,
                                      str({"symbol": "BAD"}): {"error": "Rate limit", "response": ""}})
    suite = _suite(tiny_toolbench, mode="replay", cache_dir=tmp_path / "cache")
    api = _api(suite, "get_quote_for_stock_quotes")
    assert suite.simulator.respond(api, {"is_id": 7, "symbol": "AAPL"}) == cached["response"]  # key order irrelevant
    with pytest.raises(ApiError, match="Rate limit"):
        suite.simulator.respond(api, {"symbol": "BAD"})
    with pytest.raises(ApiError, match="No cached response"):
        suite.simulator.respond(api, {"symbol": "MSFT"})
    with pytest.raises(PermissionError):
        suite.simulator.cache.put(api, {"symbol": "MSFT"}, cached)
    fallback = _suite(tiny_toolbench, mode="replay", cache_dir=tmp_path / "cache", on_miss="mock")
    assert fallback.simulator.respond(api, {"symbol": "MSFT"}) == mock_response(api, {"symbol": "MSFT"})


def test_replay_miss_is_an_api_error_observation(tiny_toolbench, tmp_path):
    _write_cache(tmp_path / "cache", {})
    ep = _episode(_quote_task(tiny_toolbench, mode="replay", cache_dir=tmp_path / "cache"))
    obs = ep.call("get_quote_for_stock_quotes", {"symbol": "ZZZ"})
    assert obs.error and ep.trajectory.steps[-1].status == "api_error"


def test_llm_mode_caches_every_response_so_reruns_need_no_endpoint(tiny_toolbench, tmp_path, fake_chat):
    chat = fake_chat(lambda messages: json.dumps({"error": "", "response": {"price": 321.5, "note": "simulated"}}))
    cache = tmp_path / "llm_cache"
    online = _suite(tiny_toolbench, mode="llm", cache_dir=cache, endpoint=chat.url, model="sim")
    api = _api(online, "get_quote_for_stock_quotes")
    first = online.simulator.respond(api, {"symbol": "AAPL"})
    assert first == {"price": 321.5, "note": "simulated"} and len(chat.requests) == 1
    assert "Get Quote" in chat.requests[0]["messages"][1]["content"]  # the API doc goes to the simulator
    assert online.simulator.respond(api, {"symbol": "AAPL"}) == first and len(chat.requests) == 1
    stored = json.loads((cache / "Finance" / "stock_quotes" / "get_quote.json").read_text())
    assert stored == {'{"symbol":"AAPL"}': {"error": "", "response": first}}
    offline = _suite(tiny_toolbench, mode="llm", cache_dir=cache, model="sim2")  # fresh suite, no endpoint
    assert offline.simulator.respond(_api(offline, "get_quote_for_stock_quotes"), {"symbol": "AAPL"}) == first
    with pytest.raises(ApiError, match="no simulator endpoint"):
        offline.simulator.respond(_api(offline, "get_quote_for_stock_quotes"), {"symbol": "MSFT"})


def test_llm_mode_asks_again_when_the_reply_is_not_json(tiny_toolbench, tmp_path, fake_chat):
    replies = iter(["not json at all", '```json\n{"error": "", "response": "ok then"}\n```'])
    chat = fake_chat(lambda messages: next(replies))
    suite = _suite(tiny_toolbench, mode="llm", cache_dir=tmp_path / "c", endpoint=chat.url, model="sim3")
    assert suite.simulator.respond(_api(suite, "alerts_for_sky_cast"), {"city": "Oslo"}) == "ok then"
    assert len(chat.requests) == 2
