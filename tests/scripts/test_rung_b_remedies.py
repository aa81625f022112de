"""scripts/rung_b_remedies.sh: lambda 2 and the top-30% vector against the source SFT on the untrained tasks (the
SFT's episodes reused), then RL vs SFT on the test split; a rerun skips what is finished."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["--preset", "smoke", "--set", "rl.train_tasks=196", "--set", "eval.tasks=2"]


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "toolpast").is_file(), reason="needs the project's .venv")
def test_remedies_run_resume_and_reuse_the_sft_episodes(tiny_model_dir, tmp_path):
    out = tmp_path / "rungb"
    shutil.copytree(tiny_model_dir, out / "sft" / "model")
    shutil.copytree(tiny_model_dir, out / "rl" / "model")
    weights = out / "rl" / "model" / "model.safetensors"
    tensors = load_file(weights)
    torch.manual_seed(0)
    save_file({k: v + 0.01 * torch.randn_like(v) for k, v in tensors.items()}, str(weights), metadata={"format": "pt"})
    env = {**os.environ, "TOOLPAST_HOME": str(tmp_path / "home")}
    subprocess.run([sys.executable, str(ROOT / "scripts" / "heldout_compare.py"), "--category", "movies",
                    "--baseline", f"SFT={out / 'sft' / 'model'}", "--candidate", f"RL={out / 'rl' / 'model'}",
                    "--out", str(out / "compare"), *SMOKE], check=True, env=env, capture_output=True)
    sft_episodes = (out / "compare" / "SFT" / "episodes.jsonl").read_text()

    def run() -> list[str]:
        done = subprocess.run([str(ROOT / "scripts" / "rung_b_remedies.sh"), str(out), *SMOKE], check=True,
                              env=env, capture_output=True, text=True)
        return done.stdout.strip().splitlines()

    lines = run()
    assert [line.split(" - ")[0] for line in lines[-3:]] == ["lam2", "top30", "RL"]
    for name in ("lam2", "top30"):
        summary = json.loads((out / "remedies" / name / "summary.json").read_text())
        assert summary["split"] == "untrained" and len(summary["tasks"]) == 4
        assert (out / "remedies" / name / "SFT" / "episodes.jsonl").read_text() == sft_episodes  # reused
    test = json.loads((out / "test" / "summary.json").read_text())
    assert test["split"] == "test" and test["tasks"] == ["movies/test/0000", "movies/test/0001"]
    sparse = json.loads((out / "vector_top30" / "manifest.json").read_text())
    assert sparse["sparsity"]["keep"] == 0.3
    assert run()[-3:] == lines[-3:]  # a rerun prints the finished summaries again
