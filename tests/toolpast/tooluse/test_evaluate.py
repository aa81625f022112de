"""Evaluation on the tiny model: graded episodes on disk, resume after a kill, pass@k over samples."""

import json

import pytest

import toolenv
from toolpast.leaderboard.schema import Metrics
from toolpast.stages.context import StageContext
from toolpast.tooluse.config import EvalConfig
from toolpast.tooluse.evaluate import evaluate


def _tasks(n):
    return toolenv.get_category("finance").tasks("test", n=n)


def test_evaluate_writes_graded_episodes(tiny_model_dir, tmp_path):
    tasks = _tasks(3)
    out = evaluate(tiny_model_dir, tasks, "closed", EvalConfig(tasks=3, batch_size=2, max_turns=2, max_new_tokens=8),
                   StageContext(0, "float32", tmp_path, "t"))
    assert out["n"] == 3 and out["successes"] == 0  # a random model does not solve tasks
    assert out["ci95_low"] == 0.0 and 0 < out["ci95_high"] < 1
    assert [o["task_id"] for o in out["outcomes"]] == [t.id for t in tasks]
    Metrics(**{k: v for k, v in out.items() if k != "outcomes"})
    lines = (tmp_path / "episodes.jsonl").read_text().splitlines()
    assert [json.loads(line)["trajectory"]["task_id"] for line in lines] == [t.id for t in tasks]


def test_a_killed_evaluation_resumes_without_redoing_finished_episodes(tiny_model_dir, tmp_path):
    tasks = _tasks(3)
    cfg = EvalConfig(tasks=3, batch_size=1, max_turns=1, max_new_tokens=8)
    evaluate(tiny_model_dir, tasks[:1], "closed", cfg, StageContext(0, "float32", tmp_path, "first"))
    log = tmp_path / "episodes.jsonl"
    row = json.loads(log.read_text())
    row["grade"]["success"] = True  # mark the finished episode so a recomputation would show
    log.write_text(json.dumps(row) + "\n" + '{"task_id": "torn line from a ki')
    out = evaluate(tiny_model_dir, tasks, "closed", cfg, StageContext(0, "float32", tmp_path, "resumed"))
    assert out["n"] == 3 and out["successes"] == 1
    rows = [json.loads(line) for line in log.read_text().splitlines()]  # the torn line is gone, all rows parse
    assert [r["task_id"] for r in rows] == [t.id for t in tasks] and rows[0]["grade"]["success"]


def test_samples_give_pass_at_k_and_need_a_temperature(tiny_model_dir, tmp_path):
    tasks = _tasks(2)
    with pytest.raises(ValueError, match="temperature"):
        evaluate(tiny_model_dir, tasks, "closed", EvalConfig(samples=2), StageContext(0, "float32", tmp_path, "t"))
    cfg = EvalConfig(tasks=2, samples=3, temperature=1.0, batch_size=6, max_turns=1, max_new_tokens=8)
    out = evaluate(tiny_model_dir, tasks, "closed", cfg, StageContext(0, "float32", tmp_path, "t"))
    assert out["n"] == 6 and out["samples_per_task"] == 3
    assert set(out["pass_at_k"]) == set(out["pass_hat_k"]) == {"1", "2", "3"}
    assert all(o["samples"] == 3 for o in out["outcomes"])
