"""Strict argument validation, API semantics and a fuzz test over every API of every category."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import toolenv
from toolenv.functions import closest
from toolenv.params import ArgError

QUOTE = "get_quote_for_stock_quotes"


def test_bind_fills_defaults_and_canonicalises(finance):
    fns = finance.functions
    assert fns["search_ticker_for_stock_quotes"].bind({"symbol": " ab "}) == {"symbol": "ab", "limit": 5}
    assert fns[QUOTE].bind({"stock_id": "stk-1234"}) == {"stock_id": "STK-1234"}
    lister = fns["list_companies_by_sector_for_company_profiles"]
    assert lister.bind({"sector": "energy", "limit": 2.0}) == {"sector": "Energy", "limit": 2}


@pytest.mark.parametrize("arguments, message", [
    ({}, "missing required argument 'stock_id'"),
    ({"stock_id": 12}, "must be a STRING id, got number 12"),
    ({"stock_id": "STK-1", "verbose": True}, "unexpected argument 'verbose'"),
    (["STK-1"], "must be a JSON object"),
])
def test_bind_rejects_bad_arguments_with_the_signature(finance, arguments, message):
    with pytest.raises(ArgError, match=message) as err:
        finance.functions[QUOTE].bind(arguments)
    assert "get_quote_for_stock_quotes(stock_id: STRING)" in str(err.value)


@pytest.mark.parametrize("arguments", [
    {"sector": "Mining"}, {"sector": "Energy", "limit": 0}, {"sector": "Energy", "limit": "3"},
    {"sector": "Energy", "limit": 2.5}, {"sector": "Energy", "limit": float("nan")},
    {"sector": "Energy", "limit": True},
])
def test_enums_and_numbers_are_strict(finance, arguments):
    with pytest.raises(ArgError):
        finance.functions["list_companies_by_sector_for_company_profiles"].bind(arguments)


def test_closest_prefers_the_same_api_part(finance):
    names = list(finance.functions)
    assert closest("get_quote", names)[0] == QUOTE
    assert closest("get_quotes_for_stock_quote", names)[0] == QUOTE


def test_search_ranks_the_exact_name_first(finance):
    world = finance.world("test")
    target = world.tables["companies"].rows[5]
    fn = finance.functions["search_companies_for_company_profiles"]
    hits = fn.run(world.state(), fn.bind({"query": target["name"].upper()}))["results"]
    assert hits[0]["company_id"] == target["company_id"]
    assert len(fn.run(world.state(), fn.bind({"query": "a", "limit": 3}))["results"]) <= 3


def test_create_charges_decrements_and_refuses_overbooking():
    movies = toolenv.get_category("movies")
    state = movies.world("test").state()
    show = next(r for r in state.tables["showtimes"].rows if 2 <= r["seats_left"] <= 50)
    book = movies.functions["book_tickets_for_ticketing"]
    ticket = book.run(state, book.bind({"showtime_id": show["showtime_id"], "seats": 2}))
    assert ticket["total_price"] == round(show["price"] * 2, 2) and ticket["status"] == "confirmed"
    assert state.tables["showtimes"].by_id[show["showtime_id"]]["seats_left"] == show["seats_left"] - 2
    assert movies.world("test").tables["showtimes"].by_id[show["showtime_id"]] == show  # base untouched
    with pytest.raises(toolenv.episode.ApiError, match="Only"):
        book.run(state, {"showtime_id": show["showtime_id"], "seats": 8 + show["seats_left"]})


FUNCTIONS = [(slug, name) for slug in toolenv.list_categories() for name in toolenv.get_category(slug).functions]
json_scalars = st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats() | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c,
                                                                                               max_size=3),
                           max_leaves=8)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FUNCTIONS), st.data())
def test_fuzz_every_api_returns_an_observation(target, data):
    slug, name = target
    cat = toolenv.get_category(slug)
    fn = cat.functions[name]
    # Mix well-typed guesses (real parameter names) with arbitrary junk.
    keys = [p.name for p in fn.params] + ["junk"]
    arguments = data.draw(st.one_of(json_values, st.dictionaries(st.sampled_from(keys), json_values, max_size=4)))
    ep = toolenv.Episode(cat.tasks("test", 1)[0])
    obs = ep.call(name, arguments)
    reply = json.loads(obs.text)
    assert set(reply) == {"error", "response"}
    assert "Internal simulator error" not in reply["error"]
    try:
        fn.bind(arguments)
    except ArgError:
        assert obs.error and reply["error"]  # every invalid call is an error observation
