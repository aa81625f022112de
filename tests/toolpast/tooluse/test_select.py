"""RL's policy choice (rl.select_every): policies kept during GRPO, the best on held-out source tasks becomes the
stage's model, the choice is recorded and survives a kill, and its tasks are held out of every training stage."""

import json

import pytest
from pydantic import ValidationError
from safetensors.torch import load_file

import toolenv
import toolpast.tooluse.rl as rl_stage
import toolpast.tooluse.select as select
from toolpast.tooluse.config import EvalConfig, RLConfig, RunConfig
from toolpast.tooluse.data import (
    category_tasks,
    check_validation_holdout,
    selection_tasks,
    train_tasks,
    trajectory_rows,
)
from toolpast.tooluse.rl import run_rl
from toolpast.tooluse.select import PolicyChoice, selection_eval


def _cfg(**extra) -> RLConfig:
    return RLConfig(steps=3, prompts_per_step=1, num_generations=2, max_turns=1, max_new_tokens=8, train_tasks=2,
                    save_every=1, learning_rate=1e-2, select_every=1, **extra)


def _choice(tasks) -> PolicyChoice:
    return PolicyChoice(tasks, selection_eval(EvalConfig(max_turns=1, max_new_tokens=8, batch_size=4)))


def _text_reward(completions, env_reward, **kwargs):
    """Depends on the sampled text, so a random model's updates are non-zero and the kept policies differ."""
    return [sum(map(ord, str(c))) % 97 / 97 for c in completions]


_text_reward.__name__ = "env_reward"


class ScriptedScores:
    """Stands in for the evaluation: a fixed number of successes per kept step, and the weights it was shown."""

    def __init__(self, successes: dict[int, int], fail_at: int | None = None):
        self.successes, self.fail_at, self.seen, self.calls = successes, fail_at, {}, 0

    def __call__(self, model_dir, tasks, book, cfg, ctx):
        self.calls += 1
        if self.fail_at is not None and self.calls == self.fail_at:
            raise KeyboardInterrupt("killed while scoring")
        step = int(model_dir.name.split("-")[1])
        self.seen[step] = load_file(model_dir / "model.safetensors")
        assert book == "closed" and cfg.samples == 1 and cfg.temperature == 0
        return {"successes": self.successes[step], "n": len(tasks)}


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)


def test_the_best_kept_policy_becomes_the_model(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(rl_stage, "env_reward", _text_reward)
    scores = ScriptedScores({1: 0, 2: 3, 3: 1})
    monkeypatch.setattr(select, "evaluate", scores)
    tasks = toolenv.get_category("finance").tasks("train", n=2)
    out = run_rl(tiny_model_dir, tasks, _cfg(), tmp_path, seed=0, dtype="float32", choice=_choice(tasks))
    assert out["selection"] == {"steps": [1, 2, 3], "successes": [0, 3, 1], "tasks": 2, "chosen_step": 2,
                                "last_step": 3}
    model = load_file(tmp_path / "model" / "model.safetensors")
    assert _same(model, scores.seen[2]) and not _same(model, scores.seen[3]) and not _same(model, scores.seen[1])
    assert not (tmp_path / "snapshots").exists()  # the other policies are dropped
    assert json.loads((tmp_path / select.CHOICE_FILE).read_text()) == out["selection"]


def test_ties_go_to_the_later_step_and_a_real_evaluation_scores(tiny_model_dir, tmp_path, monkeypatch):
    """The real evaluation path: a random tiny model solves nothing at any step, so the last policy stays."""
    monkeypatch.setattr(rl_stage, "env_reward", _text_reward)
    tasks = toolenv.get_category("finance").tasks("train", n=2)
    cfg = _cfg().model_copy(update={"steps": 2})
    out = run_rl(tiny_model_dir, tasks, cfg, tmp_path, seed=0, dtype="float32", choice=_choice(tasks))
    assert out["selection"]["successes"] == [0, 0] and out["selection"]["chosen_step"] == 2
    for step in (1, 2):  # every kept policy's episodes are on disk for reading
        rows = (tmp_path / "select" / f"step-{step:05d}" / "episodes.jsonl").read_text().splitlines()
        assert len(rows) == 2


def test_a_killed_choice_resumes_without_training_again(tiny_model_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(rl_stage, "env_reward", _text_reward)
    tasks = toolenv.get_category("finance").tasks("train", n=2)
    monkeypatch.setattr(select, "evaluate", ScriptedScores({1: 2, 2: 0, 3: 1}, fail_at=2))
    with pytest.raises(KeyboardInterrupt):
        run_rl(tiny_model_dir, tasks, _cfg(), tmp_path, seed=0, dtype="float32", choice=_choice(tasks))
    log = (tmp_path / "train_log.jsonl").read_text()

    def no_training(*args, **kwargs):
        raise AssertionError("training ran again although it had finished")

    monkeypatch.setattr(rl_stage, "run_grpo", no_training)
    scores = ScriptedScores({1: 2, 2: 0, 3: 1})
    monkeypatch.setattr(select, "evaluate", scores)
    out = run_rl(tiny_model_dir, tasks, _cfg(), tmp_path, seed=0, dtype="float32", choice=_choice(tasks))
    assert out["selection"]["chosen_step"] == 1 and len(out["reward_curve"]) == 3
    assert (tmp_path / "train_log.jsonl").read_text() == log
    assert _same(load_file(tmp_path / "model" / "model.safetensors"), scores.seen[1])


def test_selection_tasks_are_held_out_of_training_and_of_validation():
    cfg = RunConfig(sft=dict(data="docs+trajectories"), rl=dict(select_every=8, select_tasks=20),
                    eval=dict(split="validation", tasks=20))
    chosen = {t.id for t in selection_tasks(cfg, ["movies"])}
    assert len(chosen) == 20
    assert not chosen & {t.id for t in train_tasks(cfg, ["movies"])}
    assert not chosen & {t.id for t in category_tasks(cfg, "movies")}
    trajectory_text = json.dumps(trajectory_rows(["movies"], cfg))
    assert not any(t.query in trajectory_text for t in selection_tasks(cfg, ["movies"]))


def test_training_may_not_reach_the_selection_tasks():
    size = toolenv.get_category("finance").sizes["train"]
    cfg = RunConfig(validation_tasks=20, rl=dict(select_every=4, select_tasks=30, train_tasks=size - 40))
    with pytest.raises(ValueError, match="rl.select_tasks=30"):
        check_validation_holdout(cfg)
    check_validation_holdout(cfg.model_copy(update={"rl": cfg.rl.model_copy(update={"select_every": 0})}))


def test_choice_needs_full_fine_tuning_and_kept_policies(tiny_model_dir, tmp_path):
    with pytest.raises(ValidationError, match="lora_rank"):
        RLConfig(select_every=4, lora_rank=8)
    tasks = toolenv.get_category("finance").tasks("train", n=2)
    with pytest.raises(ValueError, match="select_every"):
        run_rl(tiny_model_dir, tasks, _cfg(select_tasks=2).model_copy(update={"select_every": 0}), tmp_path,
               seed=0, dtype="float32", choice=_choice(tasks))


def test_scoring_is_greedy_single_sample_and_local():
    cfg = selection_eval(EvalConfig(samples=4, temperature=0.7, backend="openai", knowledge_probes=True))
    assert (cfg.samples, cfg.temperature, cfg.backend, cfg.knowledge_probes) == (1, 0.0, "hf", False)
