"""Grades from state and the shaped reward."""

import json

import toolenv
from toolenv.oracle import oracle_actions


def _finish(answer):
    return "Action: Finish\nAction Input: " + json.dumps({"return_type": "give_answer", "final_answer": answer})


def _run(task, actions):
    ep = toolenv.Episode(task)
    ep.reset()
    for a in actions:
        ep.step(a)
    return ep.grade()


def test_right_answer_without_the_world_change_fails(finance_tasks):
    task = finance_tasks["create_by_name"]
    g = _run(task, [_finish(task.gold_answer)])
    assert g.answer_correct and g.world_correct is False and not g.success


def test_doing_the_action_twice_breaks_the_world(finance_tasks):
    task = finance_tasks["create_by_id"]
    actions = oracle_actions(task)
    g = _run(task, actions[:-1] * 2 + actions[-1:])
    assert g.world_correct is False and not g.success


def test_partial_answers_get_partial_credit(finance_tasks):
    task = finance_tasks["compare"]
    actions = oracle_actions(task)
    g = _run(task, [*actions[:-1], _finish(task.gold_facts[0])])
    assert not g.success and g.fact_recall == 0.5 and g.api_recall == 1.0
    assert 0 < g.reward() < toolenv.RewardWeights().partial_cap


def test_reward_weights_are_configurable(finance_tasks):
    task = finance_tasks["field_by_name"]
    g = _run(task, [*oracle_actions(task)[:1], _finish("no idea")])
    only_recall = toolenv.RewardWeights(format=0, valid_call=0, finished=0, fact_recall=0, world=0, api_recall=1,
                                        partial_cap=0.4)
    assert g.world_correct is None and g.reward(only_recall) == 0.4 * g.api_recall
    assert toolenv.Grade.model_validate(g.model_dump()).reward() == g.reward()
    assert _run(task, oracle_actions(task)).reward(only_recall) == 1.0
