"""The two-stage SFT protocol's data and the validation hold-out: what each stage is allowed to see."""

import pytest

import toolenv
from toolpast.overrides import apply_overrides
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import category_tasks, check_validation_holdout, doc_pair_rows, eval_tasks, trajectory_rows


def _cfg(*sets):
    return apply_overrides(RunConfig(), ["sft.data=docs+trajectories", *sets])


def test_doc_pairs_are_chats_about_the_api_surface_only():
    rows = doc_pair_rows(["finance"], _cfg())
    assert rows and all([m["role"] for m in r["messages"]] == ["user", "assistant"] for r in rows)
    text = "\n".join(m["content"] for r in rows for m in r["messages"])
    category = toolenv.get_category("finance")
    assert all(fn in text for fn in category.functions)
    for split in ("train", "test"):
        assert not any(task.query in text for task in category.tasks(split))


def test_trajectories_are_the_first_train_tasks_and_never_test_or_validation():
    cfg = _cfg("sft.trajectories.tasks_per_category=12")
    rows = trajectory_rows(["finance"], cfg)
    category = toolenv.get_category("finance")
    train = category.tasks("train")
    users = [r["messages"][1]["content"] for r in rows]
    assert users == [t.query for t in train[:12]]
    held_out = {t.query for t in category.tasks("test")} | {t.query for t in train[-cfg.validation_tasks:]}
    assert not held_out & set(users)
    # closed book: exactly the prompt a closed-book evaluation episode starts from (no docs in it)
    for row, task in zip(rows, train[:12]):
        assert row["messages"][:2] == toolenv.Episode(task, book="closed").reset()
    assert all(r["messages"][-1]["role"] == "assistant" and "Finish" in r["messages"][-1]["content"] for r in rows)


def test_validation_split_is_the_train_tail_and_test_is_untouched():
    cfg = _cfg("eval.split=validation", "eval.tasks=5", "validation_tasks=7")
    train = toolenv.get_category("weather").tasks("train")
    assert [t.id for t in category_tasks(cfg, "weather")] == [t.id for t in train[-7:][:5]]
    test_cfg = _cfg("eval.tasks=5")
    assert [t.split for t in eval_tasks(test_cfg)] == ["test"] * 5


@pytest.mark.parametrize("setting", ["rl.train_tasks=190", "sft.trajectories.tasks_per_category=181"])
def test_training_stages_may_not_reach_into_the_validation_tail(setting):
    with pytest.raises(ValueError, match="validation"):
        check_validation_holdout(_cfg(setting))
    check_validation_holdout(_cfg(setting, "validation_tasks=0"))


def test_validation_split_needs_held_out_tasks():
    with pytest.raises(ValueError, match="validation_tasks"):
        category_tasks(_cfg("eval.split=validation", "validation_tasks=0"), "finance")
