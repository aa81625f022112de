"""scripts/target_sft_probe.py runs end to end (smoke preset): base and SFT rows with the ladder's fields."""

import json
from pathlib import Path


def test_probe_prints_base_and_sft_rows(load_script, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOOLPAST_HOME", str(tmp_path / "home"))
    probe = load_script("target_sft_probe")
    assert probe.main(["finance", "--preset", "smoke", "--set", "validation_tasks=2", "--set", "eval.tasks=2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = [json.loads(line) for line in lines if line.startswith("{")]
    assert [r["model"] for r in rows] == ["base", "sft"]
    assert all(r["split"] == "validation" and r["n"] == 2 and 0 <= r["success_rate"] <= 1 for r in rows)
    assert lines[-1].startswith("sft model: ") and Path(lines[-1].split(": ", 1)[1]).is_dir()
