"""The stabletoolbench suite behind toolenv.get_category: the native interface, splits and corpus."""

from __future__ import annotations

import pytest

import toolenv
from toolenv.toolbench.tasks import TEST_FRACTION


def test_suite_switch_keeps_the_category_interface(toolbench_dir):
    cat = toolenv.get_category("Finance", suite="stabletoolbench", data_dir=toolbench_dir)
    assert (cat.slug, cat.name, cat.seed) == ("finance", "Finance", 0)
    assert toolenv.get_category("finance", suite="stabletoolbench", data_dir=toolbench_dir) is cat
    assert len(toolenv.list_categories(suite="stabletoolbench", data_dir=toolbench_dir)) == 47
    assert "video_images" in toolenv.list_categories(suite="stabletoolbench", data_dir=toolbench_dir)
    assert all(isinstance(d, toolenv.ApiDoc) for d in cat.api_docs) and len(cat.api_docs) == len(cat.data.apis)
    assert cat.docs_text().startswith("Finance APIs") and cat.api_docs[0].function_name in cat.docs_text()
    task = cat.tasks("test", 1)[0]
    assert task.category == "finance" and task.source.suite == "stabletoolbench" and task.gold_apis


def test_default_data_dir_is_the_shared_folder(toolbench_dir, monkeypatch):
    monkeypatch.delenv("TOOLENV_TOOLBENCH_DATA", raising=False)
    cat = toolenv.get_category("Weather", suite="stabletoolbench")
    assert cat.options.data_dir == str(toolbench_dir.resolve())


def test_splits_are_disjoint_deterministic_and_cover_every_query(toolbench_dir):
    total = test = 0
    for slug in toolenv.list_categories(suite="stabletoolbench", data_dir=toolbench_dir):
        cat = toolenv.get_category(slug, 3, suite="stabletoolbench", data_dir=toolbench_dir)
        train, held = cat.tasks("train"), cat.tasks("test")
        keys = [t.source.key for t in train + held]
        assert len(keys) == len(set(keys)) == len(cat.queries)
        if len(cat.queries) >= 2:  # small categories still get a test query (and keep a train one)
            assert held and train
        other_seed = toolenv.get_category(slug, 0, suite="stabletoolbench", data_dir=toolbench_dir)
        assert [t.source.key for t in other_seed.tasks("test")] == [t.source.key for t in held]
        total, test = total + len(keys), test + len(held)
    assert total == 580 and abs(test / total - TEST_FRACTION) < 0.08


def test_tasks_prefixes_are_stable_and_real_data_is_finite(tiny_toolbench):
    cat = toolenv.get_category("weather", suite="stabletoolbench", data_dir=tiny_toolbench)
    assert len(cat.queries) == 2 and len(cat.tasks("test")) == 1 and len(cat.tasks("train")) == 1
    assert cat.tasks("test", 1) == cat.tasks("test") == cat.tasks("test", 60)
    assert cat.tasks("train", 0) == []
    with pytest.raises(ValueError):
        cat.tasks("dev")


def test_knowledge_corpus_is_docs_only(toolbench_dir):
    cat = toolenv.get_category("Finance", suite="stabletoolbench", data_dir=toolbench_dir)
    corpus = cat.knowledge_corpus()
    text = "\n".join(corpus)
    assert len(corpus) > 6 * len(cat.data.apis)
    assert all(api.function_name in text for api in cat.data.apis)
    assert not any(q.query in text for q in cat.queries)


def test_native_suite_is_unchanged_and_unknown_suites_are_errors():
    assert toolenv.get_category("finance") is toolenv.get_category("finance", suite="native")
    assert toolenv.list_categories() == toolenv.list_categories(suite="native")
    assert len(toolenv.get_category("finance", test_size=3).tasks("test")) == 3
    with pytest.raises(ValueError, match="valid suites"):
        toolenv.get_category("finance", suite="nope")
    with pytest.raises(TypeError):
        toolenv.get_category("finance", data_dir="/tmp")
