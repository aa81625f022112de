"""Same query, seed and agent: identical trajectories in two runs and in two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import toolenv

_AGENT = '''
import json, sys, toolenv
def agent(task):
    """The oracle with detours: a wrong name, bad arguments, a repeated call."""
    acts = toolenv.oracle_actions(task)
    first = task.gold_calls[0].name
    return ["Action: no_such_api\\nAction Input: {}", f"Action: {first}\\nAction Input: {{\\"bogus\\": 1}}",
            acts[0], *acts]
def run(data, category, index, seed):
    cat = toolenv.get_category(category, seed, suite="stabletoolbench", data_dir=data)
    task = cat.tasks("test")[index]
    ep = toolenv.Episode(task, limits=toolenv.EpisodeLimits(max_steps=20))
    ep.reset()
    for a in agent(task):
        ep.step(a)
    return json.dumps({"trajectory": ep.trajectory.model_dump(mode="json"), "grade": ep.grade().model_dump()},
                      sort_keys=True)
'''


def _in_process(*args):
    scope: dict = {}
    exec(_AGENT, scope)
    return scope["run"](*args)


def _in_subprocess(*args):
    code = _AGENT + f"\nprint(run(*{args!r}))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                          timeout=60).stdout.strip()


def test_two_runs_and_two_processes_agree(toolbench_dir):
    args = (str(toolbench_dir), "sports", 1, 7)
    first = _in_process(*args)
    assert _in_process(*args) == first
    assert _in_subprocess(*args) == first
    record = json.loads(first)
    assert record["grade"]["success"] and record["grade"]["n_errors"] == 2
    other_seed = json.loads(_in_process(str(toolbench_dir), "sports", 1, 8))
    assert other_seed["trajectory"]["steps"][2]["observation"] != record["trajectory"]["steps"][2]["observation"]


def test_tasks_round_trip_through_json(toolbench_dir):
    task = toolenv.get_category("Movies", suite="stabletoolbench", data_dir=toolbench_dir).tasks("test")[0]
    again = toolenv.Task.model_validate_json(task.model_dump_json())
    assert again == task
    assert toolenv.oracle_conversation(again) == toolenv.oracle_conversation(task)
