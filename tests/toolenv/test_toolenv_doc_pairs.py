"""Stage-1 doc pairs: the prototype's four prompt forms over every API, valid chats, API surface only."""

import json

import pytest

import toolenv
from toolenv.doc_pairs import (
    INTENT_QUERY_TEMPLATES,
    INTENT_TO_JSON_TEMPLATES,
    NAME_QUERY_TEMPLATES,
    NAME_TO_JSON_TEMPLATES,
    PAIRS_PER_API,
)

ALL = toolenv.list_categories()


def test_pairs_are_chats_covering_every_function(finance):
    pairs = finance.doc_pairs()
    assert len(pairs) == PAIRS_PER_API * len(finance.functions)
    for chat in pairs:
        assert [m["role"] for m in chat] == ["user", "assistant"]
        assert all(isinstance(m["content"], str) and m["content"].strip() for m in chat)
    for i, name in enumerate(finance.functions):
        own = pairs[PAIRS_PER_API * i:PAIRS_PER_API * (i + 1)]
        assert all(name in chat[1]["content"] for chat in own), name  # every response names its API
        raw = json.loads(own[-1][1]["content"])
        assert raw["name"] == name and raw == json.loads(own[-2][1]["content"])
        fn = finance.functions[name]
        assert raw["parameters"]["required"] == [p.name for p in fn.params if p.required]


def test_pairs_use_the_prototype_forms(finance):
    prompts = [chat[0]["content"] for chat in finance.doc_pairs()]
    fn = next(iter(finance.functions.values()))
    desc = "find companies whose name contains the query"
    assert fn.api.description.lower().startswith(desc)
    assert prompts[0] == NAME_QUERY_TEMPLATES[0].replace("{name}", fn.name)
    assert prompts[1] == INTENT_QUERY_TEMPLATES[0].replace("{description}", desc)
    assert prompts[PAIRS_PER_API - 2] == NAME_TO_JSON_TEMPLATES[0].replace("{name}", fn.name)
    assert prompts[PAIRS_PER_API - 1] == INTENT_TO_JSON_TEMPLATES[0].replace("{description}", desc)
    used = set(prompts)
    for t in NAME_QUERY_TEMPLATES:  # templates rotate, so every one of them is used over a category
        assert any(t.replace("{name}", n) in used for n in finance.functions), t


@pytest.mark.parametrize("slug", ["finance", "movies", "travel"])
def test_pairs_are_deterministic_and_seed_free(slug):
    pairs = toolenv.get_category(slug).doc_pairs()
    assert pairs == toolenv.get_category(slug).doc_pairs()
    assert pairs == toolenv.get_category(slug, seed=3).doc_pairs()  # API surface only
