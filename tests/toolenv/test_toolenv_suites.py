"""Every suite implements ``toolenv.suite``'s interface, so episodes and the oracle take one path for all."""

from __future__ import annotations

import pytest

import toolenv
from toolenv.suite import Suite, SuiteCategory, TaskBackend
from toolenv.suites import SUITES, get_suite, task_backend


def _members(protocol: type) -> set[str]:
    """The public methods, properties and attributes a protocol declares."""
    names = {n for n in vars(protocol) if not n.startswith("_") and n != "open"}
    return names | set(getattr(protocol, "__annotations__", {}))


def _suites(data) -> list[Suite]:
    return [get_suite("native"), get_suite("stabletoolbench", data_dir=data)]


def test_every_suite_implements_the_interface_and_runs_in_one_episode(tiny_toolbench):
    assert set(SUITES) == {"native", "stabletoolbench"}
    for suite in _suites(tiny_toolbench):
        assert _members(Suite) <= set(dir(suite)) and suite.name in SUITES
        category = suite.category("finance")
        assert _members(SuiteCategory) <= set(dir(category)) and category.slug in suite.list_categories()
        task = category.tasks("test", 1)[0]
        backend = task_backend(task)
        assert _members(TaskBackend) <= set(dir(backend)) and type(backend) is type(suite.backend(task))
        episode = toolenv.Episode(task, book="open")
        assert backend.docs() in episode.reset()[0]["content"]
        for action in backend.oracle_actions():
            episode.step(action)
        assert episode.grade().success and backend.oracle_actions() == toolenv.oracle_actions(task)


def test_only_suites_with_a_world_have_a_gold_state(tiny_toolbench):
    native, toolbench = (s.category("finance").tasks("test", 1)[0] for s in _suites(tiny_toolbench))
    assert toolenv.Episode(native).gold_state() is not None
    with pytest.raises(TypeError, match="no world state"):
        toolenv.Episode(toolbench).gold_state()


def test_suites_say_what_their_data_allows(tiny_toolbench):
    native, toolbench = _suites(tiny_toolbench)
    assert native.trajectories and native.probes and hasattr(native.category("finance"), "knowledge_probes")
    assert not toolbench.trajectories and not toolbench.probes  # StableToolBench ships test queries only


def test_suite_options_and_names_are_checked():
    assert len(toolenv.get_category("finance", suite="native", test_size=5).tasks("test")) == 5
    assert toolenv.list_categories(suite="native", test_size=5) == toolenv.list_categories()
    with pytest.raises(ValueError, match="valid suites"):
        get_suite("nope")
    with pytest.raises(TypeError):
        get_suite("native", data_dir="x")
