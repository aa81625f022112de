"""Splitting an optimizer step over devices and micro-batches: the arithmetic, the config check, and that the
stages hand it to TRL so that micro-batching changes memory, not the optimisation."""

from __future__ import annotations

import json

import pytest
import torch

from toolpast.batching import check_step_splits, split_step
from toolpast.distributed import world_size
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.presets import cpu, paper, smoke


def test_a_step_splits_over_devices_then_micro_batches():
    assert split_step(64, 1, 1) == split_step(64, 1, devices=1)
    s = split_step(64, 1, 1)
    assert (s.micro_batch, s.accumulation) == (1, 64)
    s = split_step(64, 1, 8)
    assert (s.micro_batch, s.accumulation) == (1, 8)
    s = split_step(32, 8, 8)  # a micro-batch larger than the share: the share in one pass
    assert (s.micro_batch, s.accumulation) == (4, 1)
    s = split_step(40, 0, 1)  # 0: no accumulation
    assert (s.micro_batch, s.accumulation) == (40, 1)
    with pytest.raises(ValueError, match="sft.batch_size=4 sequences per optimizer step do not split evenly over 8"):
        split_step(4, 0, 8, "sft.batch_size")
    with pytest.raises(ValueError, match="is 12 sequences per device, which micro_batch_size=5 does not divide"):
        split_step(12, 5, 1)


def test_the_world_size_comes_from_the_launcher(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert world_size() == 1
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert world_size() == 8 and split_step(64, 1).accumulation == 8


def test_presets_split_on_the_gpu_counts_they_are_meant_for():
    for devices in (1, 8):
        check_step_splits(paper(), devices)
    check_step_splits(cpu(), 1)
    check_step_splits(smoke(), 1)
    with pytest.raises(ValueError, match="sft.trajectories.batch_size=4"):
        check_step_splits(cpu(), 8)  # a laptop preset: not meant for 8 GPUs
    with pytest.raises(ValueError, match=r"rl.prompts_per_step x rl.num_generations=12 .* micro_batch_size=5"):
        check_step_splits(RunConfig(rl={"micro_batch_size": 5, "prompts_per_step": 3}), 1)


def _recording(monkeypatch, module, trainer_module=None) -> list[tuple[str, int]]:
    """Record the micro-batch and accumulation a stage module computes and hands to TRL (TRL's own config
    classes cannot be wrapped: the Trainer pickles them into checkpoints). `trainer_module`: where the stage
    builds its trainer arguments, when not in `module` (GRPO: the shared stages/grpo.py)."""
    trainer_module = trainer_module or module
    seen = []

    def split(*args, **kwargs):
        result = split_step(*args, **kwargs)
        seen.append(("micro", result.micro_batch))
        return result

    common = trainer_module.common_trainer_args

    def args(*a, **kw):
        result = common(*a, **kw)
        seen.append(("accumulation", result["gradient_accumulation_steps"]))
        return result

    monkeypatch.setattr(module, "split_step", split)
    monkeypatch.setattr(trainer_module, "common_trainer_args", args)
    return seen


def _sft(tiny_model_dir, workdir, micro: int):
    from toolpast.stages.sft import run_sft
    from toolpast.tooluse.data import knowledge_rows

    cfg = smoke().sft.model_copy(update={"steps": 2, "batch_size": 4, "micro_batch_size": micro, "max_length": 48})
    rows = knowledge_rows(["finance"], RunConfig())[:8]
    run_sft(tiny_model_dir, rows, cfg, workdir, 0, "float32", "sft")
    from toolpast.models import load_model

    return load_model(workdir / "model").state_dict()


def test_sft_micro_batches_accumulate_to_the_same_step(tiny_model_dir, tmp_path, monkeypatch):
    import toolpast.stages.sft

    seen = _recording(monkeypatch, toolpast.stages.sft)
    whole = _sft(tiny_model_dir, tmp_path / "whole", 0)
    micro = _sft(tiny_model_dir, tmp_path / "micro", 1)  # 4 passes of 1 sequence per step
    from toolpast.models import load_model

    start = load_model(tiny_model_dir).state_dict()
    assert sorted(seen) == [("accumulation", 1), ("accumulation", 4), ("micro", 1), ("micro", 4)]
    moved = max(float((whole[k] - start[k]).abs().max()) for k in whole)
    assert moved > 1e-4  # the steps did something
    for name in whole:  # the same update, up to float summation order
        torch.testing.assert_close(micro[name], whole[name], atol=2e-5, rtol=0)


def test_grpo_rolls_out_the_whole_group_once_per_step_whatever_the_micro_batch(tiny_model_dir, tmp_path,
                                                                              monkeypatch):
    from toolpast.tooluse.data import rl_tasks
    from toolpast.tooluse.rl import run_rl

    cfg = smoke()
    rl = cfg.rl.model_copy(update={"steps": 1, "micro_batch_size": 1})  # group 4 = 4 micro-batches
    import toolpast.stages.grpo
    import toolpast.tooluse.rl

    seen = _recording(monkeypatch, toolpast.tooluse.rl, toolpast.stages.grpo)
    run_rl(tiny_model_dir, rl_tasks(cfg)[:4], rl, tmp_path, 0, "float32")
    assert sorted(seen) == [("accumulation", 4), ("micro", 1)]  # TRL: 4 passes of 1 episode, one rollout of 4
    rows = [json.loads(line) for line in (tmp_path / "rollouts.jsonl").read_text().splitlines()]
    assert len(rows) == rl.prompts_per_step * rl.num_generations  # one rollout of the group, not one per pass
    assert {r["step"] for r in rows} == {0}
