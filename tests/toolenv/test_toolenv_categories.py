"""Category registry and the shape of every native category."""

import re

import pytest

import toolenv
from toolenv.prompts import EXAMPLE_FUNCTION

TOOLBENCH_NAMES = [
    "Finance", "Movies", "Sports", "Weather", "Travel", "Food", "Music", "eCommerce", "Entertainment", "Social",
    "News_Media", "Business", "Location", "Data", "Email", "Jobs", "Medical", "Gaming", "Education",
    "Health_and_Fitness", "Transportation", "Cryptography", "Events", "Science",
]
ALL = toolenv.list_categories()


def test_at_least_the_24_toolbench_categories():
    assert sorted(ALL) == ALL and len(ALL) >= 24
    for name in TOOLBENCH_NAMES:
        cat = toolenv.get_category(name)
        assert cat.name == name and cat.slug == name.lower()


def test_lookup_is_case_insensitive_and_unknown_names_list_valid_slugs():
    assert toolenv.get_category("FINANCE").slug == toolenv.get_category("finance").slug == "finance"
    assert toolenv.get_category("news media").slug == "news_media"
    with pytest.raises(ValueError, match="finance") as err:
        toolenv.get_category("astrology")
    assert all(slug in str(err.value) for slug in ALL)


@pytest.mark.parametrize("slug", ALL)
def test_every_category_has_2_to_5_tools_of_2_to_5_apis(slug):
    cat = toolenv.get_category(slug)
    assert 2 <= len(cat.spec.tools) <= 5
    for tool in cat.spec.tools:
        assert 2 <= len(tool.apis) <= 5
    names = [d.function_name for d in cat.api_docs]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9_]+_for_[a-z0-9_]+", n) for n in names)


@pytest.mark.parametrize("slug", ALL)
def test_api_docs_follow_the_toolbench_schema(slug):
    for doc in toolenv.get_category(slug).api_docs:
        d = doc.model_dump()
        for key in ("category_name", "tool_name", "api_name", "api_description", "required_parameters",
                    "optional_parameters", "method", "template_response"):
            assert key in d
        for p in d["required_parameters"] + d["optional_parameters"]:
            assert set(p) == {"name", "type", "description", "default"}
        assert d["method"] in ("GET", "POST", "PATCH")


def test_function_names_are_distinct_across_categories_and_from_the_prompt_example():
    seen: dict[str, str] = {}
    for slug in ALL:
        for doc in toolenv.get_category(slug).api_docs:
            assert doc.function_name not in seen, (doc.function_name, seen.get(doc.function_name), slug)
            seen[doc.function_name] = slug
    assert EXAMPLE_FUNCTION not in seen
