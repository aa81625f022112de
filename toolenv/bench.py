"""Step-throughput benchmark: parse + validate + execute + render on one core.

Replays oracle actions (API calls and Finish) of test tasks from every category on
pre-built episodes, timing only ``Episode.step``. The median over repeats is reported
because the machine may be shared.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass

from toolenv.episode import Episode
from toolenv.oracle import oracle_actions
from toolenv.records import Task
from toolenv.suites import get_category, list_categories

__all__ = ["BenchResult", "run_bench", "pin_to_one_core"]


@dataclass(frozen=True)
class BenchResult:
    steps_per_repeat: int
    rates: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.rates)


def pin_to_one_core() -> int | None:
    """Restrict this process to one CPU (Linux); returns the CPU or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def _jobs(per_category: int, seed: int) -> list[tuple[Task, list[str]]]:
    return [(t, oracle_actions(t)) for slug in list_categories()
            for t in get_category(slug, seed).tasks("test", per_category)]


def _once(jobs: list[tuple[Task, list[str]]]) -> tuple[int, float]:
    episodes = [(Episode(task).step, actions) for task, actions in jobs]
    n = 0
    start = time.perf_counter()
    for step, actions in episodes:
        for action in actions:
            step(action)
        n += len(actions)
    return n, n / (time.perf_counter() - start)


def run_bench(repeats: int = 7, per_category: int = 60, seed: int = 0) -> BenchResult:
    jobs = _jobs(per_category, seed)
    _once(jobs)  # warm caches (worlds, indexes, regexes)
    runs = [_once(jobs) for _ in range(repeats)]
    return BenchResult(runs[0][0], [rate for _, rate in runs])
