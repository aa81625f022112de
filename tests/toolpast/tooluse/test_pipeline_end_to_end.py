"""End to end on the smoke preset: the real pipeline (TRL SFT, TRL GRPO, skill vector, evaluation) on a tiny model."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolpast.leaderboard.schema import Leaderboard

pytestmark = pytest.mark.slow
VARIANTS = {"base", "sft", "past", "open_book"}


def _toolpast(args, home, **kwargs):
    env = {**os.environ, "TOOLPAST_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "toolpast", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kwargs)


def _check_board(path: Path, category: str):
    board = Leaderboard.model_validate_json(path.read_text())
    assert {e.variant.name for e in board.entries} == VARIANTS
    for entry in board.entries:
        assert entry.category == category and entry.metrics.n == 6
        assert entry.metrics.ci95_low <= entry.metrics.success_rate <= entry.metrics.ci95_high
        assert entry.provenance.seeds == {"seed": 0, "world_seed": 0}
        assert entry.model.weights_sha256.startswith("sha256:")
    past = next(e for e in board.entries if e.variant.name == "past")
    assert past.variant.lam == 1.0 and past.variant.vector_id and past.variant.source_categories == ["movies"]
    return board


def test_smoke_run_then_rerun_reuses_everything(tmp_path):
    out = tmp_path / "board.json"
    args = ["run", "--category", "finance", "--preset", "smoke", "--export", str(out)]
    first = _toolpast(args, tmp_path / "home")
    log, _ = first.communicate(timeout=600)
    assert first.returncode == 0, log
    _check_board(out, "finance")
    assert log.count("built in") >= 10, log  # warmup, 2 SFT, RL, vector, inject, 4 evals

    again = _toolpast(args, tmp_path / "home")
    log2, _ = again.communicate(timeout=300)
    assert again.returncode == 0, log2
    assert "built in" not in log2 and log2.count("reused") >= 10, log2
    _check_board(out, "finance")


def _rl_checkpoint(home: Path) -> bool:
    return any(home.glob("artifacts/rl/*.partial/checkpoints/checkpoint-*/trainer_state.json"))


def test_kill_during_rl_then_resume(tmp_path):
    home, out = tmp_path / "home", tmp_path / "board.json"
    args = ["run", "--category", "finance", "--preset", "smoke", "--export", str(out),
            "--set", "rl.steps=6", "--set", "rl.save_every=1"]
    victim = _toolpast(args, home, start_new_session=True)
    deadline = time.time() + 600
    while not _rl_checkpoint(home) and time.time() < deadline and victim.poll() is None:
        time.sleep(0.2)
    assert _rl_checkpoint(home), "RL never checkpointed"
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert not out.exists() and not list(home.glob("artifacts/rl/*/manifest.json"))

    resumed = _toolpast(args, home)
    log, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, log
    _check_board(out, "finance")
    manifest = json.loads(next(home.glob("artifacts/rl/*/manifest.json")).read_text())
    assert manifest["outputs"]["resumed_from_step"] >= 1
    assert len(manifest["outputs"]["reward_curve"]) == 6


STB_DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "stabletoolbench"


@pytest.mark.skipif(not STB_DATA.is_dir(), reason=f"StableToolBench data not found at {STB_DATA}")
def test_smoke_run_on_stabletoolbench(tmp_path):
    """The real ToolBench queries and API docs (mock responses, solvable-path grading) through the same pipeline."""
    out = tmp_path / "board.json"
    run = _toolpast(["run", "--suite", "stabletoolbench", "--category", "finance", "--preset", "smoke",
                     "--export", str(out), "--set", f'suite_options={{"data_dir": "{STB_DATA}"}}'], tmp_path / "home")
    log, _ = run.communicate(timeout=600)
    assert run.returncode == 0, log
    board = Leaderboard.model_validate_json(out.read_text())
    assert {e.variant.name for e in board.entries} == VARIANTS
    assert {e.suite for e in board.entries} == {"stabletoolbench"} and board.entries[0].metrics.n == 6
