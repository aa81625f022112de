"""scripts/decode_step_cost.py: the per-step decode cost at batch 1 and batch B behind the throughput bound."""

import importlib.util
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "decode_step_cost.py"


def test_prints_both_step_costs_and_their_ratio(capsys):
    spec = importlib.util.spec_from_file_location("decode_step_cost", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main(["--model", "tiny-random", "--batch", "4", "--prompt", "8", "--steps", "4", "--repeats", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("batch 1: prefill") and lines[1].startswith("batch 4: prefill")
    assert re.match(r"step_cost_ratio: \d+\.\d\d \(batch 4 over batch 1", lines[-1])
