"""scripts/logprob_pass_cost.py: the cost of TRL's extra log-probability pass next to a training pass."""

import re


def test_prints_both_passes_and_their_ratio(load_script, capsys):
    script = load_script("logprob_pass_cost")
    script.main(["--model", "tiny-random", "--batch", "2", "--length", "16", "--completion", "8", "--repeats", "1"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("logprob pass: ") and lines[1].startswith("forward + backward: ")
    ratio = float(re.fullmatch(r"logprob_pass_ratio: (\d+\.\d{3})", lines[-1]).group(1))
    assert 0 < ratio < 2
