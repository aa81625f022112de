import pytest

from toolpast.leaderboard.stats import newcombe_difference, wilson_interval


def test_wilson_known_values():
    # Reference values: statsmodels proportion_confint(method="wilson")
    low, high = wilson_interval(7, 20)
    assert low == pytest.approx(0.1812, abs=1e-4) and high == pytest.approx(0.5671, abs=1e-4)


def test_wilson_edges():
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_newcombe_difference_known_value():
    # Newcombe (1998), Stat Med 17:873, Table II example (56/70 vs 48/80), method 10: 0.0524 to 0.3339
    d, low, high = newcombe_difference(56, 70, 48, 80)
    assert d == pytest.approx(0.2)
    assert low == pytest.approx(0.0524, abs=1e-4) and high == pytest.approx(0.3339, abs=1e-4)
    d, low, high = newcombe_difference(0, 10, 0, 10)
    assert d == 0 and low < 0 < high
    with pytest.raises(ValueError):
        newcombe_difference(0, 0, 1, 2)


def test_mcnemar_exact_is_the_two_sided_binomial_tail_of_the_discordant_pairs():
    from toolpast.leaderboard.stats import mcnemar_exact

    assert mcnemar_exact(0, 0) == 1.0 and mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 5) == mcnemar_exact(5, 0) == 2 / 32  # 1/32 each way
    assert abs(mcnemar_exact(1, 9) - 2 * 11 / 1024) < 1e-12
    assert mcnemar_exact(2, 8) > 0.05 > mcnemar_exact(1, 9)
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)
