"""The optional SoPR judge: 3 verdicts per episode through an OpenAI-compatible endpoint, cached."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import toolenv
from toolenv.toolbench.judge import JudgeUnavailable, SoprJudge, sopr


def _task(data):
    return toolenv.get_category("finance", suite="stabletoolbench", data_dir=data).tasks("test")[0]


def _trajectory(data, answer: str | None):
    """The oracle's calls, then a Finish with ``answer`` (none at all when None)."""
    task = _task(data)
    ep = toolenv.Episode(task, limits=toolenv.EpisodeLimits(max_steps=10))
    ep.reset()
    actions = toolenv.oracle_actions(task)[:-1]
    if answer is not None:
        actions.append("Action: Finish\nAction Input: " + json.dumps({"return_type": "give_answer",
                                                                      "final_answer": answer}))
    for a in actions:
        ep.step(a)
    return task.query, ep.trajectory


def test_three_verdicts_cached_then_reused_without_endpoint(tiny_toolbench, tmp_path, fake_chat):
    verdicts = iter(["Solved", "Unsure", "Solved"])
    chat = fake_chat(lambda m: json.dumps({"reason": "ok", "answer_status": next(verdicts)}))
    query, trajectory = _trajectory(tiny_toolbench, "Apple is at 187.44.")
    result = SoprJudge(chat.url, model="judge", cache_dir=tmp_path).judge(query, trajectory)
    assert result.verdicts == ["Solved", "Unsure", "Solved"] and len(chat.requests) == 3
    assert result.mean == pytest.approx(5 / 6) and result.std == pytest.approx(0.2357, abs=1e-4)
    assert "187.44" in chat.requests[0]["messages"][1]["content"]
    again = SoprJudge(None, model="judge", cache_dir=tmp_path).judge(query, trajectory)
    assert again == result
    with pytest.raises(JudgeUnavailable):
        SoprJudge(None, model="other-judge", cache_dir=tmp_path).judge(query, trajectory)


def test_no_answer_is_unsolved_without_asking(tiny_toolbench, tmp_path):
    query, trajectory = _trajectory(tiny_toolbench, None)
    result = SoprJudge(None, cache_dir=tmp_path).judge(query, trajectory)
    assert result.verdicts == ["Unsolved"] * 3 and result.mean == 0.0


def test_sopr_reports_each_runs_rate_with_mean_and_std(tiny_toolbench, tmp_path, fake_chat):
    chat = fake_chat(lambda m: json.dumps({"reason": "", "answer_status": "Solved"}))
    judge = SoprJudge(chat.url, cache_dir=tmp_path)
    solved = judge.judge(*_trajectory(tiny_toolbench, "Apple is at 187.44."))
    unsolved = judge.judge(*_trajectory(tiny_toolbench, None))
    summary = sopr([solved, unsolved])
    assert summary.run_rates == [0.5, 0.5, 0.5] and summary.mean == 0.5 and summary.std == 0.0


def test_the_cli_judges_an_evaluations_episodes(tiny_toolbench, tmp_path, fake_chat):
    """What a SoPR reproduction runs on toolpast's episodes.jsonl: verdicts asked once, then read from the cache."""
    chat = fake_chat(lambda m: json.dumps({"reason": "", "answer_status": "Solved"}))
    task_id = _task(tiny_toolbench).id
    rows = [{"task_id": task_id, "sample": i, "trajectory": _trajectory(tiny_toolbench, answer)[1].model_dump(
        mode="json")} for i, answer in enumerate(["Apple is at 187.44.", None])]
    episodes = tmp_path / "episodes.jsonl"
    episodes.write_text("".join(json.dumps(r) + "\n" for r in rows))
    cli = [sys.executable, "-m", "toolenv", "toolbench", "judge", str(episodes), "--data", str(tiny_toolbench),
           "--judge-cache", str(tmp_path / "sopr")]
    first = subprocess.run([*cli, "--judge-endpoint", chat.url], capture_output=True, text=True, timeout=120)
    assert first.stdout.splitlines() == ["episodes: 2", "sopr_runs: 0.5000, 0.5000, 0.5000", "sopr: 0.5000 +- 0.0000"]
    assert len(chat.requests) == 3
    again = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    assert again.stdout == first.stdout and len(chat.requests) == 3
    other = subprocess.run([*cli, "--judge-model", "other"], capture_output=True, text=True, timeout=120)
    assert other.returncode != 0 and "no judge endpoint" in other.stderr
