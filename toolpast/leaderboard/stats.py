"""Interval and pass@k estimates for success rates: small n is the norm here, so Wald intervals would lie.

pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code") asks whether SOME of k samples
succeed; pass^k (tau-bench, Yao et al. 2024) asks whether ALL of k samples succeed, i.e. reliability. Both are
unbiased estimates from n >= k samples of which c succeeded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95% interval for a binomial proportion; (0, 1) when n = 0. Exact at 0 and n."""
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes={successes} outside [0, n={n}]")
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return low, high


def newcombe_difference(s1: int, n1: int, s2: int, n2: int, z: float = Z95) -> tuple[float, float, float]:
    """p1 - p2 with Newcombe's hybrid score interval (1998, method 10) from two Wilson intervals.

    For two independent samples (unpaired); returns (difference, low, high).
    """
    if n1 <= 0 or n2 <= 0:
        raise ValueError(f"both samples need n > 0 (got n1={n1}, n2={n2})")
    p1, p2 = s1 / n1, s2 / n2
    l1, u1 = wilson_interval(s1, n1, z)
    l2, u2 = wilson_interval(s2, n2, z)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _check(n: int, c: int, k: int) -> None:
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n (got n={n}, c={c}, k={k})")


def pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k), as the stable product 1 - prod_{i=n-c+1..n} (1 - k/i) (Chen et al. 2021)."""
    _check(n, c, k)
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def pass_hat_k(n: int, c: int, k: int) -> float:
    """C(c, k) / C(n, k) = prod_{i<k} (c-i)/(n-i): the chance that k samples drawn without replacement all pass."""
    _check(n, c, k)
    if c < k:
        return 0.0
    return math.prod((c - i) / (n - i) for i in range(k))


def pass_k_fields(outcomes: Sequence) -> dict:
    """Metrics fields samples_per_task, pass_at_k, pass_hat_k from per-task outcomes (TaskOutcome-like).

    Averages over tasks for k = 1..min(samples); keys are k as strings; empty dict when there are no outcomes.
    """
    if not outcomes:
        return {}
    k_max = min(o.samples for o in outcomes)
    at = {str(k): round(sum(pass_at_k(o.samples, o.successes, k) for o in outcomes) / len(outcomes), 4)
          for k in range(1, k_max + 1)}
    hat = {str(k): round(sum(pass_hat_k(o.samples, o.successes, k) for o in outcomes) / len(outcomes), 4)
           for k in range(1, k_max + 1)}
    return {"samples_per_task": k_max, "pass_at_k": at, "pass_hat_k": hat}


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """Two-sided exact McNemar p-value for paired binary outcomes: under "no difference" each discordant pair
    (solved by one side only) is a fair coin, so p = P(a binomial(b + c, 1/2) is at least as far from the middle
    as the split seen). 1.0 with no discordant pairs."""
    if only_first < 0 or only_second < 0:
        raise ValueError(f"discordant counts must be >= 0, got {only_first}, {only_second}")
    n, k = only_first + only_second, min(only_first, only_second)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n
    return min(1.0, 2 * tail)
