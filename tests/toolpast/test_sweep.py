"""`toolpast sweep`: the transfer table over several targets, on the smoke preset (plumbing, not the method)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolpast.config import RunConfig
from toolpast.leaderboard.schema import Leaderboard
from toolpast.leaderboard.transfer import ladder, render_markdown, transfer_table
from toolpast.sweep import native_targets, resolve_targets

TWO_STAGE = ["--set", "sft.data=docs+trajectories", "--set", "sft.trajectories.steps=2",
             "--set", "sft.trajectories.tasks_per_category=4"]


def _toolpast(args, home):
    env = {**os.environ, "TOOLPAST_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "toolpast", *args], env=env, capture_output=True, text=True,
                          timeout=900)


def test_all_targets_are_the_21_rl_unseen_native_categories():
    targets = resolve_targets("all", RunConfig())
    suite = json.loads((Path(__file__).resolve().parents[2] / "tasks" / "native.json").read_text())
    assert targets == native_targets() and len(targets) == 21
    assert not set(targets) & {*suite["roles"]["source"], *suite["roles"]["warmup"]}
    assert resolve_targets(" Finance, weather,finance ", RunConfig()) == ["finance", "weather"]
    with pytest.raises(ValueError):
        resolve_targets(" , ", RunConfig())


def test_a_bad_target_is_refused_before_any_stage_runs(tmp_path):
    done = _toolpast(["sweep", "--preset", "smoke", "--targets", "finance,atlantis", "--export",
                      str(tmp_path / "b.json")], tmp_path / "home")
    assert done.returncode == 2 and "atlantis" in done.stderr
    assert not (tmp_path / "home" / "artifacts").exists()


@pytest.mark.slow
def test_sweep_writes_table_ladder_and_page_then_resumes_from_cache(tmp_path):
    out = tmp_path / "sweep.json"
    args = ["sweep", "--preset", "smoke", "--targets", "finance,weather", "--variants", "base,sft,past",
            "--seeds", "0,1", "--export", str(out), *TWO_STAGE]
    first = _toolpast(args, tmp_path / "home")
    assert first.returncode == 0, first.stdout + first.stderr
    board = Leaderboard.model_validate_json(out.read_text())
    names = sorted((e.provenance.seeds["seed"], e.category, e.variant.name) for e in board.entries)
    per_seed = [("movies", "source_sft"), ("movies", "source_rl")] + [
        (c, v) for c in ("finance", "weather") for v in ("base", "sft", "past")]
    assert names == sorted((seed, *row) for seed in (0, 1) for row in per_seed)
    assert all(e.sft_data == "docs+trajectories" and e.split == "test" for e in board.entries)
    assert all(e.metrics.knowledge_n and e.metrics.knowledge_accuracy is not None for e in board.entries)
    table = transfer_table(board, split="test")
    assert out.with_suffix(".md").read_text() == render_markdown(table, ladder(board, table, split="test"))
    page = out.with_suffix(".html").read_text()
    assert 'id="transfer"' in page and 'data-category="weather"' in page
    assert table.average.seeds == [0, 1] and "Seeds 0, 1" in out.with_suffix(".md").read_text()
    # two-stage SFT per seed: one doc-pairs and one trajectories stage per category (movies, finance, weather)
    assert first.stderr.count("stage sft_target:trajectories built") == 4, first.stderr
    assert first.stderr.count("stage sft_source:trajectories built") == 2, first.stderr

    again = _toolpast(args, tmp_path / "home")
    assert again.returncode == 0, again.stderr
    assert " built in " not in again.stderr
    assert Leaderboard.model_validate_json(out.read_text()).entries == board.entries


def test_stabletoolbench_stays_docs_only(capsys):
    from toolpast.cli import _config, build_parser
    from toolpast.pipeline import check_config

    args = build_parser().parse_args(["run", "--category", "finance", "--suite", "stabletoolbench"])
    cfg = _config(args)
    assert cfg.sft.data == "docs" and cfg.warmup.enabled and "no training trajectories" in capsys.readouterr().err
    with pytest.raises(ValueError, match="test queries only"):
        check_config(cfg.model_copy(update={"sft": cfg.sft.model_copy(update={"data": "docs+trajectories"})}))
