"""The gold path of every task solves it: 100% on every category and both splits."""

import pytest

import toolenv


@pytest.mark.parametrize("slug", toolenv.list_categories())
def test_oracle_solves_every_task(slug):
    cat = toolenv.get_category(slug)
    for split in ("train", "test"):
        for task in cat.tasks(split):
            ep = toolenv.Episode(task)
            ep.reset()
            for action in toolenv.oracle_actions(task):
                obs = ep.step(action)
                assert not obs.error, (task.id, action, obs.text)
            grade = ep.grade()
            assert grade.success and grade.reward() == 1.0, (task.id, grade)
            assert grade.api_recall == 1.0 and grade.valid_call_rate == 1.0
            assert grade.world_correct is (True if task.mutates else None)


def test_oracle_conversation_is_a_chat_transcript(finance):
    task = finance.tasks("train", 1)[0]
    msgs = toolenv.oracle_conversation(task, book="open")
    assert [m["role"] for m in msgs[:2]] == ["system", "user"]
    assert msgs[-1]["role"] == "assistant" and "Action: Finish" in msgs[-1]["content"]
    assert len(msgs) == 2 + 2 * len(task.gold_calls) + 1
