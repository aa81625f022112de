"""The smoke pipeline under `torchrun --nproc_per_node 2` (gloo, CPU) against the same run in one process: the
same leaderboard, the same stages, and nothing written twice or left behind. (torchrun, not `accelerate launch
--num_processes 2 --cpu`: accelerate 1.15 starts one process for that unless given an MPI hostfile; see
docs/scaling.md.)

What must match and what need not: evaluation (and so the leaderboard's metrics and per-task outcomes) must be
identical; the trained weights are not bit-identical across world sizes (DDP averages the two ranks' gradients in
another order than one process sums them: max |diff| ~2e-5 after the smoke preset's steps at lr 1e-3), so the
entries' weights_sha256 may differ. The tiny random model writes the same text whatever its weights, so the strict
evaluation check (one model, one vs two processes, byte-identical rows) is test_distributed.py's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from toolpast.leaderboard.schema import Leaderboard

pytestmark = pytest.mark.slow
ARGS = ["run", "--category", "finance", "--preset", "smoke", "--set", "eval.batch_size=2"]  # 3 eval batches


def _run(launcher: list[str], home: Path, export: Path) -> str:
    env = {**os.environ, "TOOLPAST_HOME": str(home), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "MASTER_ADDR": "127.0.0.1"}
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        env.pop(name, None)
    done = subprocess.run([*launcher, "-m", "toolpast", *ARGS, "--export", str(export)], env=env,
                          capture_output=True, text=True, timeout=600)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-8000:]
    return log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _files(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file() or p.name.endswith(".partial"))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_processes_end_with_the_leaderboard_of_one_and_write_nothing_twice(tmp_path):
    one = _run([sys.executable], tmp_path / "one", tmp_path / "one.json")
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
              str(_free_port())]
    two = _run(launch, tmp_path / "two", tmp_path / "two.json")

    assert "2 processes: main builds" in two and "processes: main builds" not in one
    # main alone reports: each stage and the export once
    for log in (one, two):
        assert log.count("leaderboard JSON:") == 1 and log.count("stage warmup ") == 1, log[-4000:]

    first, second = (Leaderboard.model_validate_json((tmp_path / f"{n}.json").read_text()) for n in ("one", "two"))
    assert len(first.entries) == len(second.entries) == 4
    for a, b in zip(first.entries, second.entries):
        assert (a.variant, a.category, a.book, a.metrics, a.outcomes) == (b.variant, b.category, b.book, b.metrics,
                                                                          b.outcomes)

    # the same stages (content keys do not depend on the world size) and the same files: no second manifest,
    # no per-rank file, no .partial directory or lock left behind
    files = _files(tmp_path / "one")
    assert files == _files(tmp_path / "two")
    assert not [f for f in files if f.endswith((".partial", ".lock")) or ".partial/" in f]
    stages = {str(Path(f).parent) for f in files if f.startswith("artifacts/") and f.endswith("/manifest.json")
              and f.count("/") == 3}
    assert len(stages) == 11  # warmup, 2 SFT, RL, vector, orthogonality, inject, 4 evaluations

    artifacts = tmp_path / "two" / "artifacts"
    for log in artifacts.glob("*/*/train_log.jsonl"):  # one row per logged step, written by main only
        steps = [row["step"] for row in _rows(log) if "loss" in row]
        assert len(steps) == len(set(steps)) > 0, log
    rollouts = next(artifacts.glob("rl/*/rollouts.jsonl"))  # both ranks' rollouts, each once
    reference = next((tmp_path / "one" / "artifacts").glob("rl/*/rollouts.jsonl"))
    assert Counter((r["step"], r["task_id"]) for r in _rows(rollouts)) == Counter(
        (r["step"], r["task_id"]) for r in _rows(reference))
    for episodes in artifacts.glob("eval/*/episodes.jsonl"):  # both ranks' episodes, in one process's order
        mine = tmp_path / "one" / episodes.relative_to(tmp_path / "two")
        assert episodes.read_bytes() == mine.read_bytes()
