"""PaST minus target SFT, with an honest interval: paired over shared tasks when per-task outcomes exist.

Two variants evaluated on the same tasks are correlated (easy tasks are easy for both), so a paired bootstrap
over tasks gives a tighter and correct interval. Exports without `outcomes` only allow the unpaired Newcombe
interval for a difference of two proportions, which the result says in its `method`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from toolpast.leaderboard.merge import entry_time
from toolpast.leaderboard.schema import Entry, Leaderboard
from toolpast.leaderboard.stats import newcombe_difference

PAIRED = "paired bootstrap"
UNPAIRED = "unpaired Newcombe"
RESAMPLES = 10000


class PairedDiff(BaseModel):
    mean: float = Field(description="Mean over tasks of (success rate of a - success rate of b), in [-1, 1].")
    ci95_low: float = Field(description="2.5th percentile (bootstrap) or Newcombe lower bound.")
    ci95_high: float = Field(description="97.5th percentile (bootstrap) or Newcombe upper bound.")
    n_tasks: int = Field(description="Tasks behind the difference (shared tasks when paired).")
    method: Literal["paired bootstrap", "unpaired Newcombe"]


def paired_difference(a: Entry, b: Entry, resamples: int = RESAMPLES, seed: int = 0) -> PairedDiff:
    """Percentile bootstrap over the tasks both entries evaluated; per-task rate = successes / samples."""
    for name, entry in (("a", a), ("b", b)):
        if not entry.outcomes:
            raise ValueError(f"entry {name} ({entry.variant.name}, {entry.suite}/{entry.category}) has no per-task "
                             "outcomes; a paired comparison needs them")
    rate_a = {o.task_id: o.successes / o.samples for o in a.outcomes}
    rate_b = {o.task_id: o.successes / o.samples for o in b.outcomes}
    shared = sorted(rate_a.keys() & rate_b.keys())
    if not shared:
        raise ValueError(f"{a.variant.name} and {b.variant.name} share no task ids in {a.suite}/{a.category}")
    return bootstrap_difference([rate_a[t] - rate_b[t] for t in shared], resamples, seed)


def bootstrap_difference(diffs, resamples: int = RESAMPLES, seed: int = 0) -> PairedDiff:
    """Mean of per-task differences with its percentile bootstrap 95% interval (tasks resampled)."""
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1 (got {resamples})")
    diffs = np.asarray(diffs, dtype=float)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(resamples, len(diffs)))].mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return PairedDiff(mean=float(diffs.mean()), ci95_low=float(low), ci95_high=float(high), n_tasks=len(diffs),
                      method=PAIRED)


def unpaired_difference(a: Entry, b: Entry) -> PairedDiff:
    """Newcombe's interval for success_rate(a) - success_rate(b), treating the two samples as independent."""
    d, low, high = newcombe_difference(a.metrics.successes, a.metrics.n, b.metrics.successes, b.metrics.n)
    return PairedDiff(mean=d, ci95_low=low, ci95_high=high, n_tasks=min(a.metrics.n, b.metrics.n), method=UNPAIRED)


def compare(a: Entry, b: Entry, resamples: int = RESAMPLES, seed: int = 0) -> PairedDiff:
    """Paired bootstrap when both have outcomes over shared tasks, else the unpaired Newcombe interval."""
    if a.outcomes and b.outcomes and {o.task_id for o in a.outcomes} & {o.task_id for o in b.outcomes}:
        return paired_difference(a, b, resamples=resamples, seed=seed)
    return unpaired_difference(a, b)


def _match_key(e: Entry) -> tuple:
    return e.suite, e.category, e.book, e.model.name, e.variant.knowledge, e.variant.setting


def _target_sft(past: Entry, candidates: list[Entry]) -> Entry | None:
    """The SFT of the same run (config hash) when present, else the newest one."""
    same_run = [e for e in candidates if e.provenance.config_hash == past.provenance.config_hash]
    pool = same_run or candidates
    return max(pool, key=entry_time) if pool else None


def past_vs_sft(board: Leaderboard) -> list[tuple[Entry, Entry, PairedDiff]]:
    """Every PaST entry against the target SFT of the same suite, category, book, model and knowledge."""
    pairs = []
    for past in board.entries:
        if past.variant.name != "past" or not past.metrics.n:
            continue
        sft = _target_sft(past, [e for e in board.entries if e.variant.name == "sft" and e.metrics.n
                                 and _match_key(e) == _match_key(past)])
        if sft is not None:
            pairs.append((past, sft, compare(past, sft)))
    return pairs
