"""`toolpast bench throughput` on the tiny model: identical greedy results across modes, `speedup: N` last."""

import re

from toolpast.bench.throughput import run_throughput_bench


def test_throughput_bench_checks_identity_and_ends_with_the_speedup(capsys):
    code = run_throughput_bench("tiny-random", tasks=3, batch_size=3, max_turns=2, max_new_tokens=8, repeats=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and "identical_greedy_results: yes" in lines
    assert re.fullmatch(r"speedup: \d+\.\d\d", lines[-1])
