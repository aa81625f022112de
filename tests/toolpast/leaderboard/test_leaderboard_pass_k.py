from math import comb

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolpast.leaderboard.schema import Metrics, TaskOutcome
from toolpast.leaderboard.stats import pass_at_k, pass_hat_k, pass_k_fields


@st.composite
def nck(draw):
    n = draw(st.integers(1, 60))
    return n, draw(st.integers(0, n)), draw(st.integers(1, n))


def test_pass_k_known_values():
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - comb(7, 5) / comb(10, 5))  # 1 - 21/252 = 0.91667
    assert pass_at_k(10, 3, 5) == pytest.approx(0.916667, abs=1e-6)
    assert pass_at_k(5, 0, 3) == 0.0 and pass_at_k(5, 3, 3) == 1.0  # fewer than k failures: some pass surely
    assert pass_hat_k(10, 3, 2) == pytest.approx(3 / 45)  # C(3,2)/C(10,2)
    assert pass_hat_k(4, 4, 4) == 1.0 and pass_hat_k(4, 3, 4) == 0.0
    assert pass_at_k(200, 1, 100) == pytest.approx(0.5)  # large n: the product form stays exact


@given(nck())
def test_pass_k_match_the_binomial_definitions(args):
    n, c, k = args
    assert pass_at_k(n, c, k) == pytest.approx(1 - comb(n - c, k) / comb(n, k), abs=1e-9)
    assert pass_hat_k(n, c, k) == pytest.approx(comb(c, k) / comb(n, k), abs=1e-9)
    assert 0.0 <= pass_hat_k(n, c, k) <= c / n + 1e-12 <= pass_at_k(n, c, k) + 2e-12
    if k == 1:
        assert pass_at_k(n, c, 1) == pytest.approx(c / n) and pass_hat_k(n, c, 1) == pytest.approx(c / n)


@given(nck())
def test_pass_k_monotone_in_k(args):
    n, c, k = args
    if k < n:
        assert pass_at_k(n, c, k + 1) >= pass_at_k(n, c, k) - 1e-12
        assert pass_hat_k(n, c, k + 1) <= pass_hat_k(n, c, k) + 1e-12


def test_pass_k_rejects_bad_input():
    for bad in ((3, 4, 1), (3, 1, 0), (3, 1, 4), (3, -1, 1)):
        with pytest.raises(ValueError):
            pass_at_k(*bad)
        with pytest.raises(ValueError):
            pass_hat_k(*bad)


def test_pass_k_fields_average_over_tasks_and_fit_metrics():
    outcomes = [TaskOutcome(task_id="a", successes=4, samples=4), TaskOutcome(task_id="b", successes=1, samples=4),
                TaskOutcome(task_id="c", successes=0, samples=4)]
    fields = pass_k_fields(outcomes)
    assert fields["samples_per_task"] == 4 and list(fields["pass_at_k"]) == ["1", "2", "3", "4"]
    assert fields["pass_at_k"]["1"] == pytest.approx(round(5 / 12, 4))
    assert fields["pass_at_k"]["4"] == pytest.approx(round(2 / 3, 4))  # a and b each pass once in 4
    assert fields["pass_hat_k"]["4"] == pytest.approx(round(1 / 3, 4))  # only a passes every time
    Metrics(success_rate=5 / 12, n=12, successes=5, ci95_low=0.2, ci95_high=0.7, **fields)
    assert pass_k_fields([]) == {}
