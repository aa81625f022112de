"""Killed and resumed training reproduces the uninterrupted run: GRPO (weights, sampled tasks and episodes, both
logs, the returned curves) and SFT (weights, log, and the whole-run train_loss/num_tokens it returns)."""

import json

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback

import toolenv
import toolpast.tooluse.rl as rl_stage
from toolpast.stages.resume import EpochSampler, truncate_log, whole_run_loss
from toolpast.stages.sft import run_sft
from toolpast.tooluse.config import RLConfig, WarmupConfig
from toolpast.tooluse.rl import run_rl

TIMING = {"step_time", "train_runtime", "train_samples_per_second", "train_steps_per_second"}


class Killed(Exception):
    """Stands for SIGKILL: training stops between two checkpoints, leaving their logs behind."""


class KillAfterLogging(TrainerCallback):
    """Raises once step `at` is logged (its rollouts and train-log row are written), before it is checkpointed."""

    def __init__(self, at: int):
        self.at = at

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.global_step == self.at and "loss" in (logs or {}):
            raise Killed(f"killed after logging step {self.at}")


def _weights(workdir):
    return load_file(workdir / "model" / "model.safetensors")


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def _step_rows(path):
    """The per-step train-log rows without wall-clock fields (the end-of-run summary row is per session)."""
    return [{k: v for k, v in row.items() if k not in TIMING} for row in _rows(path) if "loss" in row]


def _text_reward(completions, env_reward, **kwargs):
    """A reward that depends on the sampled text, so GRPO advantages (and updates) are non-zero even for a random
    model, whose episodes all score 0."""
    return [sum(map(ord, str(c))) % 97 / 97 for c in completions]


_text_reward.__name__ = "env_reward"  # TRL names the logged metric after the function


@pytest.mark.parametrize("micro_batch_size", [0, 1], ids=["whole-group", "micro-batches"])
def test_killed_grpo_resumes_to_the_uninterrupted_run(tiny_model_dir, tmp_path, monkeypatch, micro_batch_size):
    """Two tasks, one per step, so epoch 0 deals (0000, 0001) and epoch 1 (0001, 0000): killed after logging
    step 3 it resumes from checkpoint 2 at an epoch boundary, killed again after step 4 from checkpoint 3 mid-epoch
    (with the group in one pass, and in two accumulated micro-batches). Weights must be bitwise equal: on CPU in
    float32 the resumed run repeats the same operations on the same values (checkpointed weights, optimizer and
    RNG state are restored exactly), so any difference is a bug, not rounding."""
    monkeypatch.setattr(rl_stage, "env_reward", _text_reward)
    tasks = toolenv.get_category("finance").tasks("train", n=2)
    cfg = RLConfig(steps=4, prompts_per_step=1, num_generations=2, max_turns=1, max_new_tokens=8, train_tasks=2,
                   save_every=1, learning_rate=1e-2, micro_batch_size=micro_batch_size)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    whole.mkdir()
    killed.mkdir()
    expected = run_rl(tiny_model_dir, tasks, cfg, whole, seed=0, dtype="float32")
    for at in (3, 4):
        with pytest.raises(Killed):
            run_rl(tiny_model_dir, tasks, cfg, killed, seed=0, dtype="float32", callbacks=(KillAfterLogging(at),))
    # the second session replaced the first one's rollouts of step index 2; its own of index 3 are left over
    assert [r["step"] for r in _rows(killed / "rollouts.jsonl")] == [0, 0, 1, 1, 2, 2, 3, 3]
    got = run_rl(tiny_model_dir, tasks, cfg, killed, seed=0, dtype="float32")

    rollouts = _rows(whole / "rollouts.jsonl")
    assert [(r["step"], r["task_id"][-4:]) for r in rollouts[::2]] == [(0, "0000"), (1, "0001"), (2, "0001"),
                                                                        (3, "0000")]
    assert _rows(killed / "rollouts.jsonl") == rollouts  # same tasks, same sampled turns, each step once
    assert _step_rows(killed / "train_log.jsonl") == _step_rows(whole / "train_log.jsonl")
    assert [row["step"] for row in _step_rows(whole / "train_log.jsonl")] == [1, 2, 3, 4]
    assert got == {**expected, "resumed_from_step": 3}

    start, a, b = load_file(tiny_model_dir / "model.safetensors"), _weights(whole), _weights(killed)
    assert max((a[k] - start[k]).abs().max().item() for k in a) > 1e-3  # the updates are not zero
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_killed_warmup_returns_whole_run_totals(tiny_model_dir, tmp_path):
    """SFT on chats as the warm-up runs it (four rows, two per step: two epochs), killed after logging step 3
    (resumes from checkpoint 2, an epoch boundary) and again after step 4 (from checkpoint 3, mid-epoch): its
    weights, log and returned train_loss/num_tokens equal the uninterrupted run's (before the fix the totals
    covered the steps of the last session only)."""
    rows = [{"messages": [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": f"q{i}?"},
                          {"role": "assistant", "content": f"Answer {i} is {i * 7}."}]} for i in range(4)]
    cfg = WarmupConfig(steps=4, batch_size=2, max_length=64, save_every=1, learning_rate=1e-3)
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    whole.mkdir()
    killed.mkdir()
    expected = run_sft(tiny_model_dir, rows, cfg, whole, 0, "float32", "warm-up")
    for at in (3, 4):
        with pytest.raises(Killed):
            run_sft(tiny_model_dir, rows, cfg, killed, 0, "float32", "warm-up", callbacks=(KillAfterLogging(at),))
    got = run_sft(tiny_model_dir, rows, cfg, killed, 0, "float32", "warm-up")

    assert got == expected and expected["num_tokens"] > 0
    steps = _step_rows(whole / "train_log.jsonl")
    assert [row["step"] for row in steps] == [1, 2, 3, 4]
    assert expected["train_loss"] == round(sum(row["loss"] for row in steps) / 4, 4)
    assert expected["num_tokens"] == steps[-1]["num_tokens"] > steps[0]["num_tokens"]
    assert _step_rows(killed / "train_log.jsonl") == steps
    # the summary row closing the log: the whole run's loss, as the manifest says, not the last session's
    (summary,), (resumed,) = ([row for row in _rows(path) if "train_loss" in row][-1:] for path in (
        whole / "train_log.jsonl", killed / "train_log.jsonl"))
    assert resumed["train_loss"] == pytest.approx(summary["train_loss"], rel=1e-12)
    assert round(resumed["train_loss"], 4) == got["train_loss"]
    a, b = _weights(whole), _weights(killed)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_epoch_sampler_deals_any_epoch_as_an_uninterrupted_repeat_sampler():
    """Epoch e's order from a fresh sampler told set_epoch(e) equals the e-th pass of TRL's own sampler."""
    from trl.trainer.utils import RepeatSampler

    make = lambda: RepeatSampler(list(range(5)), mini_repeat_count=2, batch_size=2, seed=3)  # noqa: E731
    trl_sampler = make()
    passes = [list(trl_sampler) for _ in range(4)]
    assert len({tuple(p) for p in passes}) > 1
    for epoch in (3, 0, 2, 1):
        sampler = EpochSampler(make())
        sampler.set_epoch(epoch)
        assert list(sampler) == passes[epoch] and len(sampler) == len(passes[epoch])


def test_truncate_log_keeps_the_steps_before_and_drops_a_torn_line(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("".join(json.dumps({"step": s, "x": s}) + "\n" for s in (1, 2, 3, 2)) + '{"step": 3, "x"')
    truncate_log(path, below=3)
    assert _rows(path) == [{"step": 1, "x": 1}, {"step": 2, "x": 2}, {"step": 2, "x": 2}]
    truncate_log(tmp_path / "missing.jsonl", below=1)
    assert not (tmp_path / "missing.jsonl").exists()


def test_whole_run_loss_weights_each_logged_loss_by_its_steps():
    history = [{"loss": 2.0, "step": 2}, {"grad_norm": 1.0, "step": 2}, {"loss": 5.0, "step": 3},
               {"train_loss": 9.0, "step": 3}]
    assert whole_run_loss(history) == (2.0 * 2 + 5.0) / 3
    with pytest.raises(ValueError, match="no training loss"):
        whole_run_loss([{"train_loss": 1.0, "step": 1}])


def test_a_resumed_session_logs_the_whole_runs_train_loss(tmp_path):
    """The Trainer's end-of-run train_loss is the mean over the steps of its own session: after a resume the train
    log's last row would report those steps only. It reports the whole run's (what the manifest records)."""
    from types import SimpleNamespace

    from toolpast.progress import RichProgressCallback

    history = [{"loss": 8.0, "step": 1}, {"loss": 7.0, "step": 2}, {"loss": 6.0, "step": 3}]
    for resumed_at, logged in ((0, 7.0), (2, 7.0)):  # a fresh run: the Trainer's own mean is kept as it is
        path = tmp_path / f"log-{resumed_at}.jsonl"
        callback = RichProgressCallback("sft", path)
        state = SimpleNamespace(global_step=resumed_at, max_steps=3, log_history=history)
        callback.on_train_begin(None, state, None)
        state.global_step = 3
        callback.on_log(None, state, None, logs={"train_loss": 6.0 if resumed_at else 7.0, "train_runtime": 1.0})
        callback.on_train_end(None, state, None)
        assert _rows(path) == [{"step": 3, "train_loss": logged, "train_runtime": 1.0}]
