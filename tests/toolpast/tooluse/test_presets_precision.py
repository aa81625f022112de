"""An RL-sized update (lr 1e-6) survives into the skill vector under the paper preset's precision (fp32 master
weights, bf16 compute, fp32 checkpoints) and is rounded away in pure bf16; the mostly-zeros check refuses the
second, on its own and inside the pipeline."""

from __future__ import annotations

import pytest

from toolpast.artifacts import ArtifactStore
from toolpast.stages.sft import run_sft
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import knowledge_rows
from toolpast.tooluse.pipeline import run_pipeline
from toolpast.tooluse.presets import paper, smoke
from toolpast.vector_check import MostlyZeroVector, check_injection_kept, check_vector_kept, count_zeros
from toolpast.vectors import extract_skill_vector, inject_skill_vector


def _in_dtype(model_dir, out, dtype: str):
    """The checkpoint as a stage of a run in `dtype` would have saved it."""
    from toolpast.models import load_model, load_tokenizer

    load_model(model_dir, dtype=dtype).save_pretrained(out)
    load_tokenizer(model_dir).save_pretrained(out)
    return out


def _trained_vector(start, workdir, dtype: str, bf16_autocast: bool):
    """Three optimizer steps at the paper preset's RL learning rate from `start` (a checkpoint in `dtype`, as the
    previous stage saved it), then v = trained - start as the pipeline extracts it (v in fp32)."""
    preset = paper()
    cfg = preset.sft.model_copy(update={"steps": 3, "batch_size": 2, "micro_batch_size": 0, "max_length": 64,
                                        "learning_rate": preset.rl.learning_rate, "save_every": 10,
                                        "bf16_autocast": bf16_autocast})
    rows = knowledge_rows(["finance"], RunConfig(sft={"data": "docs"}))[:6]
    run_sft(start, rows, cfg, workdir, 0, dtype, "precision")
    extract_skill_vector(workdir / "model", start, workdir / "vector")
    return workdir / "vector"


def test_a_1e_6_update_survives_with_fp32_master_weights_and_vanishes_in_pure_bf16(tiny_model_dir, tmp_path):
    preset = paper()
    assert preset.rl.learning_rate == 1e-6 and preset.dtype == "float32"
    assert preset.rl.bf16_autocast and preset.sft.bf16_autocast and preset.sft.trajectories.bf16_autocast
    mixed = count_zeros(_trained_vector(tiny_model_dir, tmp_path / "mixed", preset.dtype, True))
    bf16_start = _in_dtype(tiny_model_dir, tmp_path / "bf16-start", "bfloat16")
    pure = count_zeros(_trained_vector(bf16_start, tmp_path / "pure", "bfloat16", False))
    assert mixed.entries == pure.entries > 0
    assert mixed.kept > 0.95  # nearly every weight moved
    assert pure.kept < 0.1  # nearly every update rounded away: PaST would equal SFT
    check_vector_kept(mixed, preset.min_vector_kept, "mixed")
    with pytest.raises(MostlyZeroVector, match=rf"skill vector pure is {1 - pure.kept:.1%} exact zeros .*fp32 master"):
        check_vector_kept(pure, preset.min_vector_kept, "pure")
    check_vector_kept(pure, 0.0, "pure")  # 0 turns the check off


def test_injecting_a_small_vector_into_a_bf16_target_is_refused(tiny_model_dir, tmp_path):
    vector = _trained_vector(tiny_model_dir, tmp_path / "mixed", "float32", True)
    kept = inject_skill_vector(tiny_model_dir, vector, 1.0, tmp_path / "fp32-target")
    check_injection_kept(kept.surviving_fraction, paper().min_vector_kept, "fp32")
    assert kept.surviving_fraction > 0.99
    bf16 = _in_dtype(tiny_model_dir, tmp_path / "bf16", "bfloat16")
    lost = inject_skill_vector(bf16, vector, 1.0, tmp_path / "bf16-target")
    assert lost.surviving_fraction < 0.5
    with pytest.raises(MostlyZeroVector, match=r"only \d+\.\d% of \|\|lam \* v\|\| survived"):
        check_injection_kept(lost.surviving_fraction, paper().min_vector_kept, "bf16")
    check_injection_kept(None, 0.5, "lam 0")  # nothing injected, nothing lost


def test_the_pipeline_stops_at_a_mostly_zero_vector(tmp_path):
    cfg = smoke().model_copy(update={"min_vector_kept": 0.5, "dtype": "bfloat16"})  # pure bf16, an RL-sized lr
    cfg.warmup.enabled, cfg.sft.steps, cfg.rl.steps, cfg.rl.learning_rate = False, 1, 1, 1e-6
    with pytest.raises(MostlyZeroVector, match=r"skill vector .*/vector/\w+/vector is \d+\.\d% exact zeros"):
        run_pipeline(cfg, export=tmp_path / "board.json", store=ArtifactStore(tmp_path / "artifacts"))
    assert not (tmp_path / "board.json").exists()
