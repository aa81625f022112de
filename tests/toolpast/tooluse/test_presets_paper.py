"""The paper preset as a new user meets it: the config passes the pipeline's checks on 1 and on 8 GPUs, its
precision keeps fp32 master weights, its vLLM settings follow TRL's colocate mode, and `--dry-run` prints the
stage plan and the memory plan without building anything."""

from __future__ import annotations

import pytest

from toolpast.batching import check_step_splits
from toolpast.cli import main
from toolpast.tooluse.dry_run import run_plan, warnings
from toolpast.tooluse.pipeline import check_config
from toolpast.tooluse.presets import get_preset, paper


def test_the_paper_preset_passes_the_checks_on_1_and_8_gpus(monkeypatch):
    cfg = paper()
    check_config(cfg, libraries=False)  # vLLM itself is not installed on this CPU machine
    for devices in ("1", "8"):
        monkeypatch.setenv("WORLD_SIZE", devices)
        check_config(cfg, libraries=False)
        check_step_splits(cfg)
    plan = run_plan(cfg)
    assert warnings(plan) == []  # no batch larger than the data it draws from
    epochs = {s.stage: s.epochs for s in plan if s.epochs is not None}
    assert epochs["sft_target"] == pytest.approx(3.0) and epochs["sft_target:trajectories"] == pytest.approx(3.0, 0.02)


def test_the_paper_preset_trains_with_fp32_master_weights_and_a_sleeping_colocated_engine():
    cfg = paper()
    assert cfg.dtype == "float32"  # fp32 weights and checkpoints: the skill vector keeps a 1e-6 update
    for stage in (cfg.sft, cfg.sft.trajectories, cfg.rl):
        assert stage.bf16_autocast and stage.micro_batch_size > 0
    assert cfg.min_vector_kept > 0
    assert cfg.rl.use_vllm and cfg.rl.vllm_enable_sleep_mode and 0 < cfg.rl.vllm_gpu_memory_utilization <= 0.5
    assert cfg.eval.backend == "vllm" and cfg.refine_rounds == 2
    assert get_preset("smoke").min_vector_kept == 0  # a random model's RL learns nothing: v = 0 is expected


def test_dry_run_prints_the_plans_and_builds_nothing(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("TOOLPAST_HOME", str(home))
    assert main(["run", "--preset", "paper", "--category", "finance", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "config valid; nothing built" in out
    for stage in ("sft_source:1/2", "rl:2/2", "inject:start:2/2", "sft_target:trajectories", "eval:past"):
        assert f"  {stage} " in out
    assert "7.62 B parameters (documented constant: config.json of huggingface.co/Qwen/Qwen2.5-7B-Instruct)" in out
    assert "1 GPU, one process, no sharding" in out and "DOES NOT FIT" in out
    for config in ("zero3_offload_1gpu", "zero3_8gpu"):
        assert f"--config_file accelerate/{config}.yaml" in out
    assert out.count(": fits") == 2
    assert not home.exists()  # nothing built, downloaded or cached
    assert main(["sweep", "--preset", "paper", "--targets", "finance,weather", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "per target (2: finance, weather)" in out and "eval:source_rl" in out
    assert not home.exists()


def test_dry_run_still_refuses_a_bad_config(capsys):
    assert main(["run", "--preset", "paper", "--category", "finance", "--dry-run", "--set",
                 "rl.micro_batch_size=3"]) == 2
    assert "micro_batch_size=3 does not divide" in capsys.readouterr().err
