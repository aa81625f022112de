"""The prototype's ToolBench reward on scripted episodes: exact turn rewards for every step status, the finish term
on the last turn only, the pass reward's three levels, and the sum GRPO sees."""

import json

import pytest

import toolenv
from toolenv.prototype_reward import pass_reward

TASKS = toolenv.get_category("finance").tasks("train", n=5)
LOOKUP, ACT, COMPARE = TASKS[0], TASKS[3], TASKS[4]  # G1 read-only, act (mutates), G2_intra with 4 gold calls
SOLVED = 0.2 + 1.0


def _action(name: str, arguments: dict) -> str:
    return f"Thought: next step.\nAction: {name}\nAction Input: {json.dumps(arguments)}"


def _finish(answer: str) -> str:
    return _action("Finish", {"return_type": "give_answer", "final_answer": answer})


def _run(task, actions, max_steps: int = 12):
    ep = toolenv.Episode(task, book="closed", limits=toolenv.EpisodeLimits(max_steps=max_steps))
    ep.reset()
    for action in actions:
        ep.step(action)
    trajectory, grade = ep.trajectory, ep.grade()
    return toolenv.prototype_turn_rewards(trajectory, grade), toolenv.prototype_reward(trajectory, grade), grade


def _statuses(task, actions) -> list[str]:
    ep = toolenv.Episode(task, book="closed", limits=toolenv.EpisodeLimits(max_steps=12))
    ep.reset()
    for action in actions:
        ep.step(action)
    return [s.status for s in ep.trajectory.steps]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.id)
def test_oracle_scores_each_call_then_finish_and_solved(task):
    turns, total, grade = _run(task, toolenv.oracle_actions(task))
    calls = len(task.gold_calls)
    assert grade.success
    assert turns == [0.1] * calls + [SOLVED]
    assert total == pytest.approx(0.1 * calls + 0.2 + 1.0)


def test_each_failure_scores_its_case_and_the_last_turn_only_finish_plus_pass():
    oracle = toolenv.oracle_actions(COMPARE)
    failures = [
        _action("no_such_api_for_stock_quotes", {"symbol": "SJUX"}),  # invalid_call: unknown API -> -0.1
        "I have no idea what to do.",  # parse_error -> -0.2
        "x" * 3000,  # too_long -> -0.2
        _action("get_quote_for_stock_quotes", {}),  # invalid_call: bad arguments -> -0.1
        _action("get_quote_for_stock_quotes", {"stock_id": "STK-0000"}),  # api_error -> -0.1
        _action("Finish", {}),  # invalid_call: a malformed Finish does not end the episode -> -0.1
    ]
    turns, total, grade = _run(COMPARE, failures + oracle)
    assert _statuses(COMPARE, failures) == ["invalid_call", "parse_error", "too_long", "invalid_call", "api_error",
                                            "invalid_call"]
    assert grade.success
    assert turns == [-0.1, -0.2, -0.2, -0.1, -0.1, -0.1] + [0.1] * 4 + [SOLVED]
    assert total == pytest.approx(-0.8 + 0.4 + 1.2)


def test_no_finish_scores_minus_half_on_the_cut_off_turn_without_its_call_reward():
    calls = toolenv.oracle_actions(COMPARE)[:-1]
    turns, total, grade = _run(COMPARE, calls, max_steps=len(calls))
    assert not grade.finished and pass_reward(grade) == 0.0
    assert turns == [0.1, 0.1, 0.1, -0.5]
    assert total == pytest.approx(-0.2)


def test_give_up_is_not_finished_and_unsolved():
    give_up = _action("Finish", {"return_type": "give_up_and_restart"})
    turns, total, grade = _run(LOOKUP, [toolenv.oracle_actions(LOOKUP)[0], give_up])
    assert grade.gave_up and not grade.finished
    assert turns == [0.1, -0.5] and total == pytest.approx(-0.4)


def test_pass_reward_partially_solved_needs_an_answer_with_some_facts_after_a_gold_call():
    calls = toolenv.oracle_actions(COMPARE)[:-1]
    fact = COMPARE.gold_facts[0]
    partial, total, grade = _run(COMPARE, calls + [_finish(f"It is {fact}.")])
    assert 0 < grade.fact_recall < 1 and partial == [0.1] * 4 + [0.2 + 0.5]
    assert total == pytest.approx(0.4 + 0.7)
    wrong, _, _ = _run(COMPARE, calls + [_finish("I could not tell.")])
    assert wrong == [0.1] * 4 + [0.2]
    guessed, _, grade = _run(COMPARE, [_finish(f"It is {fact}.")])  # facts without any call: a guess, unsolved
    assert grade.fact_recall > 0 and grade.api_recall == 0 and guessed == [0.2]


def test_a_right_answer_with_a_wrong_world_is_partially_solved():
    buy, finish = toolenv.oracle_actions(ACT)
    turns, _, grade = _run(ACT, [buy, buy, finish])  # bought twice: the answer is right, the world is not
    assert grade.answer_correct and grade.world_correct is False and not grade.success
    assert turns == [0.1, 0.1, 0.2 + 0.5]


def test_an_episode_without_turns_has_no_rewards():
    turns, total, _ = _run(LOOKUP, [])
    assert turns == [] and total == 0.0
