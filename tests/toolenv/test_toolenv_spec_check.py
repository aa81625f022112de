"""Inconsistent specs fail loudly at construction (a pydantic ValidationError wrapping SpecError)."""

import pytest

from toolenv.category_spec import CategorySpec
from toolenv.spec import F, ListBy, Search, TableSpec, Update, api, tool

ITEMS = TableSpec(name="items", entity="item", prefix="ITM", names="{adj} {noun}",
                  fields=(F.enum("kind", "kind", "a, b"), F.int("size", "size", 1, 9),
                          F.text("note", "note", "{noun}")))


def _category(*apis, tables=(ITEMS,)):
    return CategorySpec(name="Demo", description="d", tables=tables,
                        tools=(tool("t1", "d", *apis), tool("t2", "d", *apis)))


def test_a_valid_minimal_spec_builds():
    cat = _category(api("find", "d", Search("items")), api("rank", "d", ListBy("items", by="kind", order="size",
                                                                               superlative="largest")))
    assert cat.slug == "demo"


@pytest.mark.parametrize("op, message", [
    (ListBy("items", by="kind", order="note", superlative="x"), "'order' must be numeric"),
    (ListBy("items", by="size", order="size", superlative="x"), "'by' must be an enum or ref"),
    (Update("items", field="kind", phrase="change it"), "phrase needs slots"),
    (Update("items", field="kind", value="zzz", phrase="set {target}"), "fixed value"),
])
def test_inconsistent_ops_are_rejected(op, message):
    with pytest.raises(ValueError, match=message):
        _category(api("find", "d", Search("items")), api("bad", "d", op))


def test_tool_and_api_counts_are_enforced():
    with pytest.raises(ValueError, match="APIs"):
        CategorySpec(name="Demo", description="d", tables=(ITEMS,),
                     tools=(tool("t1", "d", api("find", "d", Search("items"))),) * 2)
    with pytest.raises(ValueError, match="tools"):
        CategorySpec(name="Demo", description="d", tables=(ITEMS,),
                     tools=(tool("t1", "d", api("a", "d", Search("items")), api("b", "d", Search("items"))),))
