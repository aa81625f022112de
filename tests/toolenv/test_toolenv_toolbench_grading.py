"""The solvable-path metric: every relevant API called validly, a give_answer, values the calls returned."""

from __future__ import annotations

import json

import toolenv
from toolenv.toolbench import solvable_path
from toolenv.toolbench.grounding import observation_evidence, stated_values


def _finish(answer: str) -> str:
    return "Action: Finish\nAction Input: " + json.dumps({"return_type": "give_answer", "final_answer": answer})


def _run(task, actions):
    ep = toolenv.Episode(task, limits=toolenv.EpisodeLimits(max_steps=10))
    ep.reset()
    for a in actions:
        ep.step(a)
    return ep


def _task(data, slug="finance", n_apis=2):
    cat = toolenv.get_category(slug, suite="stabletoolbench", data_dir=data)
    return next(t for t in cat.tasks("train") + cat.tasks("test") if len(t.gold_apis) == n_apis)


def test_oracle_succeeds_and_finishing_at_once_fails(tiny_toolbench):
    task = _task(tiny_toolbench)
    ep = _run(task, toolenv.oracle_actions(task))
    grade = ep.grade()
    assert grade.success and grade.api_recall == 1.0 and grade.valid_call_rate == 1.0 and grade.reward() == 1.0
    now = _run(task, [_finish("Apple trades at a fair price.")]).grade()
    assert now.finished and not now.success and now.api_recall == 0.0 and 0 < now.reward() < 0.5


def test_parts_are_reported_apart(tiny_toolbench):
    task = _task(tiny_toolbench)
    calls = toolenv.oracle_actions(task)[:-1]
    vague = solvable_path(task, _run(task, calls + [_finish("Done, the company looks fine.")]).trajectory)
    assert vague.all_relevant_called and vague.finished and vague.answer_nonempty and not vague.answer_grounded
    assert not vague.success
    ep = _run(task, calls[:1])
    first = json.loads(ep.trajectory.steps[0].observation)["response"]
    value = next(v for v in first.values() if isinstance(v, float))
    partial = solvable_path(task, _run(task, calls[:1] + [_finish(f"It is {value}.")]).trajectory)
    assert partial.answer_grounded and partial.relevant_recall == 0.5 and not partial.success
    empty = solvable_path(task, _run(task, calls + [_finish("   ")]).trajectory)
    assert empty.finished and not empty.answer_nonempty and not empty.success
    gave_up = _run(task, calls + ['Action: Finish\nAction Input: {"return_type": "give_up_and_restart"}']).grade()
    assert gave_up.gave_up and not gave_up.finished and not gave_up.success


def test_failed_calls_do_not_count(tiny_toolbench):
    task = _task(tiny_toolbench)
    bad = [f"Action: {name}\nAction Input: {{}}" for name in task.gold_apis]  # missing required arguments
    grade = _run(task, bad + [_finish("nothing")]).grade()
    assert grade.api_recall == 0.0 and grade.n_errors == len(bad) and not grade.success


def test_numbers_match_to_the_answers_precision_and_ids_as_phrases():
    obs = json.dumps({"error": "", "response": {"price": 1234.5678, "id": "a3f91c2e0b", "count": 12,
                                                "note": "closed at 4,821.37 today"}})
    ev = observation_evidence([obs])
    assert {e.text for e in ev} == {"1234.5678", "a3f91c2e0b", "closed at 4,821.37 today", "4,821.37"}
    assert stated_values("It is 1,234.57 (id A3F91C2E0B).", ev) == ["1234.5678", "a3f91c2e0b"]
    assert stated_values("About 1235 and 4821.4", ev) == ["1234.5678", "4,821.37"]
    assert stated_values("It is 1234.7 or 12 or 1230", ev) == []  # wrong at its precision, too few digits


def test_values_from_the_query_or_arguments_are_not_evidence():
    obs = json.dumps({"error": "", "response": {"symbol": "Apple Inc", "price": 187.44, "year": 2023}})
    ev = observation_evidence([obs], exclude='What did Apple Inc close at in 2023? {"symbol": "AAPL"}')
    assert [e.text for e in ev] == ["187.44"]


def test_truncated_observations_are_scanned_for_complete_values():
    text = json.dumps({"error": "", "response": {"name": "Amber Vale", "price": 642.15, "tail": "x" * 50}})[:70]
    assert {e.text for e in observation_evidence([text])} == {"Amber Vale", "642.15"}
