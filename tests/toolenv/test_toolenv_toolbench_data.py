"""Loading ToolBench query files and tools folders: counts, grouping, names mapped both ways."""

from __future__ import annotations

import json

import pytest

from toolenv.naming import function_name
from toolenv.toolbench.loader import category_slug, load_toolbench
from toolenv.toolbench.template import parse_template


def test_shared_files_give_580_queries_in_47_categories(toolbench_dir):
    data = load_toolbench(str(toolbench_dir))
    assert len(data.queries) == 580 and len(data.categories) == 47
    assert {q.group for q in data.queries.values()} == {"G1_instruction", "G1_category", "G1_tool", "G2_instruction"}
    finance = data.category("finance")
    assert finance is data.category("Finance") and finance.slug == "finance" and len(finance.queries) == 40
    assert data.category("video_images").name == "Video_Images"
    for q in data.queries.values():  # every relevant API resolves to a callable function of the query
        assert q.relevant and set(q.relevant) <= {a.function_name for a in q.apis}


def test_names_are_normalised_as_toolbench_does_and_map_back(toolbench_dir):
    data = load_toolbench(str(toolbench_dir))
    apis = {a.function_name: a for c in data.categories.values() for a in c.apis}
    api = apis["songkick_concert_for_theclique"]
    assert (api.tool_name, api.api_name, api.tool, api.api) == ("TheClique", "Songkick concert", "theclique",
                                                                 "songkick_concert")
    renamed = [p for a in apis.values() for p in a.params if p.raw_name == "id"]
    assert renamed and all(p.name == "is_id" for p in renamed)
    assert all(len(name) <= 64 for name in apis)
    long = next(a for a in apis.values() if len(f"{a.api}_for_{a.tool}") > 64)
    assert long.function_name == f"{long.api}_for_{long.tool}"[-64:]


def test_function_names_keep_the_last_64_characters():
    assert function_name("Today Sure VIP Over 2.5 Goals", "168predict VIP Football Predictions") == \
        "e_vip_over_2_5_goals_for_get_168predict_vip_football_predictions"


def test_a_single_file_of_the_same_format_loads(tiny_toolbench):
    data = load_toolbench(str(tiny_toolbench / "test_instruction" / "G1_instruction.json"))
    assert len(data.queries) == 5 and sorted(data.by_slug) == ["finance", "weather"]
    both = load_toolbench(str(tiny_toolbench))
    assert len(both.queries) == 6 and both.queries["G2_instruction/6"].category == "Finance"
    only = load_toolbench(str(tiny_toolbench), groups=("G2_instruction",))
    assert list(only.queries) == ["G2_instruction/6"]


def test_a_tools_folder_adds_its_apis_to_the_category(tiny_toolbench, tmp_path):
    tools = tmp_path / "tools" / "Finance"
    tools.mkdir(parents=True)
    (tools / "crypto_ticker.json").write_text(json.dumps({
        "tool_name": "Crypto Ticker", "standardized_name": "crypto_ticker", "tool_description": "Coin prices.",
        "api_list": [{"name": "Coin Price", "description": "Price of a coin.", "method": "GET",
                      "required_parameters": [{"name": "coin", "type": "STRING", "description": "", "default": "btc"}],
                      "optional_parameters": []}]}))
    data = load_toolbench(str(tiny_toolbench), str(tmp_path / "tools"))
    api = next(a for a in data.category("finance").apis if a.function_name == "coin_price_for_crypto_ticker")
    assert api.tool_description == "Coin prices." and api.params[0].name == "coin"
    assert "coin_price_for_crypto_ticker" not in {a.function_name for a in data.category("weather").apis}


def test_missing_or_foreign_data_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no ToolBench data"):
        load_toolbench(str(tmp_path / "nope"))
    (tmp_path / "ids.json").write_text('{"588": 0}')
    with pytest.raises(ValueError, match="not a ToolBench query file"):
        load_toolbench(str(tmp_path / "ids.json"))


def test_truncated_templates_keep_their_shape():
    cut = '{"name": "str", "officers": [{"name": "str", "age": "int"}, {"title": "st'
    assert parse_template(cut) == {"name": "str", "officers": [{"name": "str", "age": "int"}]}
    assert parse_template(None) is None and parse_template({}) is None and parse_template("garbage") is None


def test_slugs():
    assert category_slug("Video_Images") == "video_images" and category_slug("News Media") == "news_media"
