"""Closed-book prompts are short, shared by all categories and leak no API names."""

import toolenv
from toolenv.prompts import EXAMPLE_FUNCTION


def test_closed_book_prompt_is_identical_short_and_api_free():
    prompts = set()
    for slug in toolenv.list_categories():
        cat = toolenv.get_category(slug)
        task = cat.tasks("test", 1)[0]
        system = toolenv.Episode(task).reset()[0]["content"]
        prompts.add(system)
        assert not any(name in system for name in cat.functions)
    (system,) = prompts
    assert len(system) < 1200 and EXAMPLE_FUNCTION in system and "give_up_and_restart" in system


def test_open_book_prompt_lists_every_api_compactly():
    for slug in toolenv.list_categories():
        cat = toolenv.get_category(slug)
        system = toolenv.Episode(cat.tasks("test", 1)[0], book="open").reset()[0]["content"]
        assert all(name in system for name in cat.functions)
        assert len(system) < 4000
