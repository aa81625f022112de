import itertools

import numpy as np
import pytest

from toolpast.leaderboard.paired import PAIRED, UNPAIRED, compare, paired_difference, past_vs_sft
from toolpast.leaderboard.schema import Leaderboard
from toolpast.leaderboard.stats import newcombe_difference


def test_paired_bootstrap_matches_the_exact_bootstrap_distribution(make_entry):
    """4 shared tasks: all 4^4 resamples are equally likely, so the exact percentiles are known."""
    a = make_entry("past", outcomes=[("t1", 1, 1), ("t2", 1, 1), ("t3", 0, 1), ("t4", 2, 2), ("only-a", 1, 1)])
    b = make_entry("sft", outcomes=[("t1", 0, 1), ("t2", 1, 1), ("t3", 1, 1), ("t4", 1, 2), ("only-b", 0, 1)])
    diffs = np.array([1.0, 0.0, -1.0, 0.5])
    exact = np.array([diffs[list(idx)].mean() for idx in itertools.product(range(4), repeat=4)])
    d = paired_difference(a, b, resamples=40000, seed=3)
    assert d.method == PAIRED and d.n_tasks == 4 and d.mean == pytest.approx(0.125)
    assert np.quantile(exact, 0.015) <= d.ci95_low <= np.quantile(exact, 0.035)
    assert np.quantile(exact, 0.965) <= d.ci95_high <= np.quantile(exact, 0.985)


def test_paired_bootstrap_is_deterministic_per_seed(make_entry):
    a = make_entry("past", outcomes=[(f"t{i}", i % 2, 1) for i in range(30)])
    b = make_entry("sft", outcomes=[(f"t{i}", int(i % 3 == 0), 1) for i in range(30)])
    assert paired_difference(a, b, seed=7) == paired_difference(a, b, seed=7)
    assert paired_difference(a, b, seed=7).ci95_low != paired_difference(a, b, seed=8).ci95_low
    same = paired_difference(a, a)
    assert same.mean == same.ci95_low == same.ci95_high == 0.0  # identical outcomes: no spread at all


def test_paired_refuses_missing_or_disjoint_outcomes(make_entry):
    a = make_entry("past", outcomes=[("t1", 1, 1)])
    with pytest.raises(ValueError, match="no per-task outcomes"):
        paired_difference(a, make_entry("sft", 1, 4))
    with pytest.raises(ValueError, match="share no task ids"):
        paired_difference(a, make_entry("sft", outcomes=[("t2", 1, 1)]))


def test_compare_falls_back_to_unpaired_newcombe(make_entry):
    a, b = make_entry("past", 2, 20), make_entry("sft", 1, 20)
    d = compare(a, b)
    assert d.method == UNPAIRED
    assert (d.mean, d.ci95_low, d.ci95_high) == pytest.approx(newcombe_difference(2, 20, 1, 20))
    assert compare(make_entry("past", outcomes=[("t1", 1, 1)]), make_entry("sft", outcomes=[("t9", 0, 1)])).method \
        == UNPAIRED


def test_past_vs_sft_pairs_the_same_run(make_entry):
    board = Leaderboard(entries=[
        make_entry("sft", 1, 10, config_hash="old", date="2026-01-01T00:00:00+00:00"),
        make_entry("sft", 3, 10, config_hash="run", date="2025-01-01T00:00:00+00:00"),
        make_entry("past", 5, 10, lam=1.0, config_hash="run"),
        make_entry("past", 4, 10, lam=0.5, config_hash="other"),
        make_entry("past", 4, 10, lam=1.0, category="music"),  # no SFT in music: no pair
    ])
    pairs = past_vs_sft(board)
    assert [(p.variant.lam, s.provenance.config_hash) for p, s, _ in pairs] == [(1.0, "run"), (0.5, "old")]
    assert pairs[0][2].mean == pytest.approx(0.2) and pairs[1][2].mean == pytest.approx(0.3)
