"""`--dry-run` plans by running the run's own stage graph against a runner that builds nothing, so the plan is
the run: these tests fail if the plan and a real run's stages, or `--force`'s choices and the stage kinds the
builders use, ever drift apart."""

from __future__ import annotations

import shutil

import pytest

import toolpast.tooluse.stages as tool_stages
from toolpast.artifacts import ArtifactStore
from toolpast.stages.runner import Runner
from toolpast.tooluse.dry_run import run_plan, sweep_plan
from toolpast.tooluse.pipeline import STAGES, run_pipeline
from toolpast.tooluse.presets import smoke
from toolpast.tooluse.stages import STAGE_CODE, STAGE_KINDS

EVERY_VARIANT = ["base", "sft", "past", "open_book", "pre_injection", "sequential", "target_rl"]


def _copy_model(start_model, rows, cfg, workdir, seed, dtype, title="", choice=None) -> dict:
    shutil.copytree(start_model, workdir / "model")
    return {"rows": len(rows)}


def _small(**changes):
    cfg = smoke()
    cfg.eval = cfg.eval.model_copy(update={"tasks": 2, "batch_size": 4, "max_turns": 1, "max_new_tokens": 8,
                                           "knowledge_probes": False, **changes.pop("eval", {})})
    return cfg.model_copy(update=changes)


def test_the_plan_is_the_stages_a_real_run_builds(monkeypatch, tiny_model_dir, tmp_path):
    """A smoke run (training replaced by a copy of the start model: the wiring is what is compared) builds exactly
    the stages its dry-run plan lists, in the same order, with two rounds, a lambda sweep and the extra variants."""
    monkeypatch.setattr(tool_stages, "run_sft", _copy_model)
    monkeypatch.setattr(tool_stages, "run_rl", _copy_model)
    built = []
    stage = Runner.stage

    def recording(self, name, spec, fn, check=None, about=None):
        built.append(name)
        return stage(self, name, spec, fn, check=check, about=about)

    monkeypatch.setattr(Runner, "stage", recording)
    cfg = _small(refine_rounds=2, lam_sweep=[0.5, 1.0], vector_keep=[0.3],
                 eval={"variants": ["base", "sft", "past", "open_book", "pre_injection", "sequential"]})
    planned = [s.stage for s in run_plan(cfg)]
    board, _ = run_pipeline(cfg, export=tmp_path / "board.json", store=ArtifactStore(tmp_path / "artifacts"))
    assert built == planned
    assert "inject:start:2/2" in planned and "eval:past@0.5" in planned and "sft_target:seq" in planned
    # the sparsified vector beside the dense one: one sparsify stage, an inject and an eval per lambda
    assert planned.count("sparsify:top30") == 1 and {"inject:top30:0.5", "eval:past_top30@0.5"} <= set(planned)
    past = sorted((e.variant.vector_keep or 1.0, e.variant.lam) for e in board.entries if e.variant.name == "past")
    assert past == [(0.3, 0.5), (0.3, 1.0), (1.0, 0.5), (1.0, 1.0)]


def test_force_takes_exactly_the_stage_kinds_the_builders_use():
    """Every kind a run can build is one --force names and one whose code the key hashes, and back."""
    assert STAGES == STAGE_KINDS and set(STAGE_CODE) == set(STAGE_KINDS)
    cfg = _small(refine_rounds=2, vector_keep=[0.5], eval={"variants": EVERY_VARIANT})
    cfg.warmup = cfg.warmup.model_copy(update={"enabled": True})
    kinds = {s.stage.split(":")[0] for s in run_plan(cfg)}
    assert kinds == set(STAGE_KINDS)


def test_the_sweep_plan_has_the_source_ladder_once_and_one_target_without_orthogonality():
    cfg = _small(eval={"variants": ["sft", "past"]})
    source, per = sweep_plan(cfg, ["finance", "weather"])
    assert [s.stage for s in source] == ["warmup", "sft_source", "rl", "vector", "eval:source_sft", "eval:source_rl"]
    assert [s.stage for s in per] == ["sft_target", "eval:sft", "inject", "eval:past"]
    assert "tasks of finance" in per[-1].data and "tasks of movies" in source[-1].data
    source, per = sweep_plan(cfg.model_copy(update={"vector_keep": [0.3]}), ["finance", "weather"])
    assert source[-1].stage == "sparsify:top30"  # built with the first target, reused by the others
    assert [s.stage for s in per] == ["sft_target", "eval:sft", "inject", "inject:top30", "eval:past",
                                      "eval:past_top30"]


def test_force_refuses_a_kind_no_builder_uses(capsys):
    from toolpast.cli import main

    assert main(["run", "--preset", "smoke", "--category", "finance", "--dry-run", "--force", "rl_target"]) == 2
    assert f"--force takes stage names {list(STAGE_KINDS)}" in capsys.readouterr().err


@pytest.mark.parametrize("rounds", [1, 2])
def test_plan_training_rows_come_from_the_data_the_stage_trains_on(rounds):
    cfg = _small(refine_rounds=rounds)
    plan = {s.stage: s for s in run_plan(cfg)}
    first = "sft_source" if rounds == 1 else "sft_source:1/2"
    assert plan[first].rows and plan[first].steps == cfg.sft.steps and plan[first].batch == cfg.sft.batch_size
    rl = plan["rl" if rounds == 1 else "rl:1/2"]
    assert rl.batch == cfg.rl.prompts_per_step and f"{rl.rows} tasks (movies" in rl.data
