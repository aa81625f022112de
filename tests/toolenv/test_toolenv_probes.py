"""Knowledge probes: held out from the SFT texts, deterministic, and scored by documented string rules."""

import pytest

import toolenv
from toolenv.probes import PARAMS, WHICH_API, Probe, knowledge_probes, score_probe

ALL = toolenv.list_categories()


def _fixed_parts(template: str) -> list[str]:
    """The template's own wording between placeholders."""
    parts = template.replace("{", "\x00{").replace("}", "}\x00").split("\x00")
    return [p.strip(' ".') for p in parts if not p.startswith("{") and len(p.strip(' ".')) > 12]


@pytest.mark.parametrize("slug", ALL)
def test_probes_are_held_out_from_corpus_and_pairs(slug):
    cat = toolenv.get_category(slug)
    texts = cat.knowledge_corpus() + [m["content"] for chat in cat.doc_pairs() for m in chat]
    probes = cat.knowledge_probes()
    for probe in probes:
        assert not any(probe.question in t for t in texts), probe.id
    for part in _fixed_parts(WHICH_API) + _fixed_parts(PARAMS):
        assert not any(part in t for t in texts), part
    assert {p.function for p in probes if p.kind == "which_api"} == set(cat.functions)
    assert {p.function for p in probes if p.kind == "params"} == set(cat.functions)
    assert len({p.id for p in probes}) == len(probes)


def test_probes_are_deterministic_and_match_the_docs(finance):
    probes = finance.knowledge_probes()
    assert probes == knowledge_probes(finance.spec, list(finance.functions.values()))
    assert probes == toolenv.get_category("finance", seed=7).knowledge_probes()
    by_id = {p.id: p for p in probes}
    q = by_id["finance/which_api/get_quote_for_stock_quotes"]
    assert q.expected == ["get_quote_for_stock_quotes"]
    assert "Latest quote and valuation metrics for a stock." in q.question
    assert "get_quote_for_stock_quotes" not in q.question
    assert by_id["finance/params/get_quote_for_stock_quotes"].expected == ["stock_id"]
    assert by_id["finance/params/buy_shares_for_brokerage_account"].expected == ["stock_id", "shares"]
    assert by_id["finance/params/search_ticker_for_stock_quotes"].expected == ["symbol"]  # not the optional limit


NAMES = ["get_quote_for_stock_quotes", "search_ticker_for_stock_quotes", "get_quote_for_stock_quotes_v2"]
WHICH = Probe(id="x/which_api/q", kind="which_api", question="?", function="get_quote_for_stock_quotes",
              expected=["get_quote_for_stock_quotes"])


@pytest.mark.parametrize("reply, ok", [
    ("get_quote_for_stock_quotes", True),
    ("Call `get_quote_for_stock_quotes` with stock_id.", True),
    ("get_quote_for_stock_quotes, then search_ticker_for_stock_quotes", True),
    ("search_ticker_for_stock_quotes, then get_quote_for_stock_quotes", False),  # wrong name first
    ("get_quote_for_stock_quotes_v2", False),  # a longer name is not the right one
    ("Get_Quote_For_Stock_Quotes", False),  # exact spelling
    ("get_quote", False),
    ("", False),
])
def test_which_api_scoring(reply, ok):
    assert score_probe(WHICH, reply, NAMES) is ok


BUY = Probe(id="x/params/buy", kind="params", question="?", function="buy_shares_for_brokerage_account",
            expected=["stock_id", "shares"])


@pytest.mark.parametrize("reply, ok", [
    ("stock_id, shares", True),
    ("It needs `shares` and `stock_id` (and nothing else).", True),
    ("stock_id, shares, limit", True),  # extra names are not penalised
    ("stock_id", False),  # missing a required parameter
    ("stock_ids, shares", False),  # whole words only
    ("stock_id, number_of_shares", False),
    ("buy_shares_for_brokerage_account(stock_id)", False),  # 'shares' inside the function name does not count
])
def test_params_scoring(reply, ok):
    assert score_probe(BUY, reply, NAMES) is ok


def test_params_scoring_with_nothing_required():
    probe = Probe(id="x/params/n", kind="params", question="?", function="f", expected=[])
    assert score_probe(probe, "None: every argument is optional.", [])
    assert score_probe(probe, "There are no required arguments.", [])
    assert not score_probe(probe, "query", [])
