"""`toolpast bench throughput` on the tiny model: identical greedy results across the hf modes and generate's
replay of the same turns, `speedup: N` and `hf_vs_generate: X` last."""

import re

import pytest

from toolpast.bench.throughput import run_throughput_bench


def test_throughput_bench_checks_identity_and_ends_with_the_speedup_and_the_generate_ratio(capsys):
    code = run_throughput_bench("tiny-random", tasks=3, batch_size=3, max_turns=2, max_new_tokens=8, repeats=1)
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert code == 0 and "identical_greedy_results: yes" in lines
    assert "generate, replaying the hf turns" in out and "generate, decode only" in out
    assert re.fullmatch(r"speedup: \d+\.\d\d", lines[-2])
    assert re.fullmatch(r"hf_vs_generate: \d+\.\d\d", lines[-1])


def test_throughput_bench_refuses_a_backend_it_cannot_time():
    with pytest.raises(ValueError, match="hf plus optionally vllm"):
        run_throughput_bench("tiny-random", tasks=1, backends=("openai",))
    with pytest.raises(ValueError, match="--grpo-only times GRPO steps"):
        run_throughput_bench("tiny-random", tasks=1, evaluation=False)
    with pytest.raises(ValueError, match="--grpo-passes takes grouped, padded or both"):
        run_throughput_bench("tiny-random", tasks=1, grpo_steps=2, evaluation=False, grpo_passes=("packed",))


@pytest.mark.slow
def test_grpo_steps_are_timed_from_the_train_log(tmp_path):
    from toolpast.bench.throughput import grpo_step_times

    rows = grpo_step_times("tiny-random", "movies", steps=2, max_turns=2, max_new_tokens=8, dtype="float32",
                           world_seed=0, use_vllm=False, workdir=tmp_path)
    assert [row["step"] for row in rows] == [1, 2] and all(row["step_time"] > 0 for row in rows)


@pytest.mark.slow
def test_grouped_and_padded_passes_are_timed_on_the_same_rollouts(capsys):
    """Both passes start from the same weights and seed: they roll out the same episodes (the same rewards), and
    the ratio line comes last. (That the passes compute the same loss and gradients is
    tests/toolpast/stages/test_length_groups.py's.)"""
    code = run_throughput_bench("tiny-random", "movies", max_turns=2, max_new_tokens=8, grpo_steps=2,
                                evaluation=False, grpo_passes=("padded", "grouped"), grpo_generations=3,
                                grpo_micro_batch=0)
    lines = [line for line in capsys.readouterr().out.strip().splitlines() if line.startswith("grpo_")]
    assert code == 0 and [line.split(":")[0] for line in lines] == ["grpo_hf_padded", "grpo_hf_grouped",
                                                                     "grpo_hf_grouped_vs_padded"]
    rewards = [re.search(r"rewards (\[[^]]*\])", line)[1] for line in lines[:2]]
    assert rewards[0] == rewards[1]
    assert re.fullmatch(r"grpo_hf_grouped_vs_padded: \d+\.\d\d", lines[-1])


def test_timings_go_round_by_round_so_host_drift_moves_every_mode_alike(monkeypatch, capsys):
    from toolpast.bench import throughput

    order, real = [], throughput._run_episodes_mode

    def recording(name, *args, **kwargs):
        order.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(throughput, "_run_episodes_mode", recording)
    code = run_throughput_bench("tiny-random", tasks=2, batch_size=2, max_turns=1, max_new_tokens=4, repeats=2,
                                sequential_repeats=1, reference=False)
    assert code == 0
    assert order == ["hf, batched + KV cache", "hf, batched, re-encode each turn", "hf, one episode at a time",
                     "hf, batched + KV cache", "hf, batched, re-encode each turn"]
    table = capsys.readouterr().out
    assert re.search(r"hf, batched \+ KV cache\s*│\s*2 ", table) and re.search(r"one episode at a time\s*│\s*1 ", table)


def test_grpo_ratio_lines_per_comparison(monkeypatch, capsys):
    """backends compared: `grpo_vllm_vs_hf`; passes compared: one `grpo_<backend>_grouped_vs_padded` per backend."""
    from toolpast.bench import throughput

    step = {("hf", False): 200.0, ("hf", True): 160.0, ("vllm", False): 250.0, ("vllm", True): 125.0}

    def fake_steps(*args, length_grouped=False, **kwargs):
        backend = "vllm" if args[7] else "hf"
        row = {"step_time": step[(backend, length_grouped)], "reward": 0.5, "completions/mean_length": 100.0,
               "sampling/sampling_logp_difference/mean": 1e-6, "sampling/importance_sampling_ratio/min": 1.0,
               "sampling/importance_sampling_ratio/max": 1.0}
        return [dict(row, step_time=999.0), row]

    monkeypatch.setattr(throughput, "grpo_step_times", fake_steps)
    throughput._print_grpo_steps("m", "movies", 2, 6, 96, "float32", 0, ("hf", "vllm"))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["grpo_hf", "grpo_vllm", "grpo_vllm_vs_hf"]
    assert lines[-1] == "grpo_vllm_vs_hf: 0.80"
    throughput._print_grpo_steps("m", "movies", 2, 6, 96, "float32", 0, ("hf", "vllm"), ("padded", "grouped"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == ["grpo_hf_grouped_vs_padded: 1.25", "grpo_vllm_grouped_vs_padded: 2.00"]
    assert "median after the first 160.0" in lines[1]  # the first step (999 s) is left out
