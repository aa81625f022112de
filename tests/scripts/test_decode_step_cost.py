"""scripts/decode_step_cost.py: the per-step decode cost at batch 1 and batch B behind the throughput bound."""

import re


def test_prints_both_step_costs_and_their_ratio(load_script, capsys):
    script = load_script("decode_step_cost")
    script.main(["--model", "tiny-random", "--batch", "4", "--prompt", "8", "--steps", "4", "--repeats", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("batch 1: prefill") and lines[1].startswith("batch 4: prefill")
    assert re.match(r"step_cost_ratio: \d+\.\d\d \(batch 4 over batch 1", lines[-1])
