"""Iterative refinement's K disjoint parts of the source data: every task and doc in exactly one part."""

import pytest

import toolenv
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import WHOLE, knowledge_rows, rl_tasks, subset, train_tasks


def test_subset_deals_round_robin_into_disjoint_covering_parts():
    items = list(range(11))
    parts = [subset(items, (k, 3)) for k in (1, 2, 3)]
    assert parts == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8]]
    assert subset(items, WHOLE) == items


def test_subset_rejects_bad_parts():
    with pytest.raises(ValueError, match="k must be in 1..2"):
        subset([1, 2, 3], (3, 2))
    with pytest.raises(ValueError, match="refine_rounds=4 needs at least 4 tasks, found 3"):
        subset([1, 2, 3], (1, 4), "tasks")
    with pytest.raises(ValueError, match="source.rounds=2 needs at least 2 source passages, found 1"):
        subset([1], (1, 2), "source passages", "source.rounds")


@pytest.mark.parametrize("rounds", [2, 3])
def test_rl_task_parts_partition_the_source_tasks(rounds):
    cfg = RunConfig(source=["movies", "music"], refine_rounds=rounds)
    whole = [t.id for t in rl_tasks(cfg)]
    parts = [[t.id for t in rl_tasks(cfg, (k, rounds))] for k in range(1, rounds + 1)]
    flat = [task_id for part in parts for task_id in part]
    assert sorted(flat) == sorted(whole) and len(set(flat)) == len(flat)  # each task in exactly one part
    for part in parts:  # every source category is split, not handed whole to one round
        assert {task_id.split("/")[0] for task_id in part} == {"movies", "music"}
        assert {task_id.split("/")[1] for task_id in part} == {"train"}
        assert abs(len(part) - len(whole) / rounds) <= len(cfg.source)
    assert parts == [[t.id for t in rl_tasks(cfg, (k, rounds))] for k in range(1, rounds + 1)]  # deterministic


def test_knowledge_doc_parts_partition_the_corpus():
    cfg = RunConfig()
    corpus = toolenv.get_category("movies").knowledge_corpus()
    parts = [[r["text"] for r in knowledge_rows(["movies"], cfg, (k, 2))] for k in (1, 2)]
    assert sorted(parts[0] + parts[1]) == sorted(corpus)
    assert not set(parts[0]) & set(parts[1])
    assert [r["text"] for r in knowledge_rows(["movies"], cfg)] == corpus


def test_repeats_apply_within_a_part():
    cfg = RunConfig(sft={"repeats": 3})
    part = knowledge_rows(["movies"], cfg, (2, 2))
    assert len(part) == 3 * len(subset(toolenv.get_category("movies").knowledge_corpus(), (2, 2)))


def test_train_tasks_of_a_target_never_touch_its_test_split():
    cfg = RunConfig()
    train = {t.id for t in train_tasks(cfg, [cfg.target])}
    test = {t.id for t in toolenv.get_category(cfg.target).tasks("test")}
    assert train and not train & test


def test_too_many_rounds_names_the_category():
    cfg = RunConfig(rl={"train_tasks": 3})
    with pytest.raises(ValueError, match="RL training tasks in movies"):
        rl_tasks(cfg, (1, 4))
