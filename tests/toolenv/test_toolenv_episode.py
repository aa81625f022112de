"""Episodes: prompts, observations, limits, message log, trajectory and isolation."""

import json

import pytest

import toolenv
from toolenv.oracle import oracle_actions

GET = "get_company_profile_for_company_profiles"


def _ep(task, **kw):
    ep = toolenv.Episode(task, **kw)
    ep.reset()
    return ep


def test_reset_gives_system_and_user_messages(finance_tasks):
    task = finance_tasks["field_by_name"]
    closed, opened = _ep(task).reset(), _ep(task, book="open").reset()
    assert [m["role"] for m in closed] == ["system", "user"] and closed[1]["content"] == task.query
    assert GET not in closed[0]["content"] and GET in opened[0]["content"]


def test_every_failure_is_an_error_observation(finance_tasks):
    ep = _ep(finance_tasks["field_by_name"], limits=toolenv.EpisodeLimits(max_steps=10, max_action_chars=200))
    cases = {
        "x" * 201: "too long",
        "I think the answer is 4.": "No action found",
        "Action: get_company\nAction Input: {}": f"Closest valid functions: {GET}",
        f"Action: {GET}\nAction Input: {{}}": "missing required argument 'company_id'",
        f"Action: {GET}\nAction Input: {{\"company_id\": 5}}": "must be a STRING id",
        f"Action: {GET}\nAction Input: {{\"company_id\": \"CMP-0000\"}}": "No company with company_id 'CMP-0000'",
        f"Action: {GET}\nAction Input: {{broken": "not a valid JSON object",
        "Action: Finish\nAction Input: {\"return_type\": \"maybe\"}": "Finish needs",
        None: "No action found",
    }
    for text, message in cases.items():
        obs = ep.step(text)
        assert obs.error and not obs.done and message in json.loads(obs.text)["error"], (text, obs.text)
    g = ep.grade()
    assert g.n_errors == len(cases) and not g.success and g.format_rate == pytest.approx(5 / 9)


def test_step_limit_ends_the_episode_unsolved(finance_tasks):
    task = finance_tasks["compare"]
    ep = _ep(task, limits=toolenv.EpisodeLimits(max_steps=3))
    for action in oracle_actions(task)[:3]:
        obs = ep.step(action)
    assert obs.done and ep.done and not ep.grade().success
    assert json.loads(ep.step(oracle_actions(task)[-1]).text)["error"] == "The episode is over."
    assert ep.grade().n_steps == 3


def test_messages_and_trajectory_record_everything(finance_tasks):
    task = finance_tasks["chain"]
    ep = _ep(task)
    actions = oracle_actions(task)
    for a in actions:
        ep.step(a)
    msgs = ep.messages
    turns = [m for a, o in zip(actions[:-1], msgs[3::2], strict=True) for m in ({"role": "assistant", "content": a}, o)]
    assert msgs[2:] == [*turns, {"role": "assistant", "content": actions[-1]}]
    assert all(m["content"].startswith("Observation: ") for m in msgs[3::2])
    traj = toolenv.Trajectory.model_validate_json(ep.trajectory.model_dump_json())
    assert traj.finished and traj.final_answer == task.gold_answer and len(traj.steps) == len(actions)
    assert [s.call.name for s in traj.steps[:-1]] == [c.name for c in task.gold_calls]


def test_json_tool_calls_and_give_up(finance_tasks):
    task = finance_tasks["field_by_id"]
    ep = _ep(task)
    call = task.gold_calls[0]
    obs = ep.step(f'<tool_call>{{"name": "{call.name}", "arguments": {json.dumps(json.dumps(call.arguments))}}}'
                  "</tool_call>")
    assert not obs.error
    obs = ep.step('{"name": "Finish", "arguments": {"return_type": "give_up_and_restart"}}')
    assert obs.done and ep.grade().gave_up and not ep.grade().finished


def test_mutations_never_leak_between_episodes(finance_tasks):
    task = finance_tasks["create_by_name"]
    first = _ep(task)
    for a in oracle_actions(task):
        first.step(a)
    assert first.grade().success
    second = _ep(task)  # same task again: the same new id must be issued
    for a in oracle_actions(task):
        second.step(a)
    assert second.grade().success
    assert first.state.tables["positions"] is not second.state.tables["positions"]
    base = toolenv.get_category("finance").world(task.split).tables["positions"]
    assert len(base.rows) == base.spec.rows  # nothing was appended to the shared base world
    first.reset()
    assert not first.state.owned and first.grade().n_steps == 0
