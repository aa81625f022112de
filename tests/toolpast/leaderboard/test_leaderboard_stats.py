import pytest

from toolpast.leaderboard.stats import wilson_interval


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
