"""Synthetic leaderboard entries for the leaderboard tests: valid records with only the fields a test cares about."""

from __future__ import annotations

import pytest

from toolpast.leaderboard.schema import Entry, TaskOutcome
from toolpast.leaderboard.stats import wilson_interval


def build_entry(variant: str = "sft", successes: int = 1, n: int = 4, *, outcomes: list[tuple[str, int, int]] | None
                = None, lam: float | None = None, suite: str = "synthetic", category: str = "weather",
                date: str = "2026-11-28T12:00:00+00:00", weights: str = "sha256:aa", config_hash: str = "cfg1",
                command: str = "toolpast run --category weather", book: str = "closed", **metrics) -> Entry:
    """One Entry; with outcomes [(task_id, successes, samples)] the totals come from them."""
    if outcomes is not None:
        successes, n = sum(s for _, s, _ in outcomes), sum(k for _, _, k in outcomes)
    low, high = wilson_interval(successes, n)
    return Entry.model_validate({
        "model": {"name": "tiny-random", "weights_sha256": weights},
        "variant": {"name": variant, "lam": lam, "vector_id": "v1" if variant == "past" else None},
        "suite": suite, "category": category, "book": book,
        "metrics": {"success_rate": successes / n if n else 0.0, "n": n, "successes": successes,
                    "ci95_low": round(low, 4), "ci95_high": round(high, 4), **metrics},
        "provenance": {"toolpast_version": "0.1.0", "git_commit": "abc123", "command": command, "preset": "smoke",
                       "config_hash": config_hash, "seeds": {"seed": 0}, "backend": "hf", "date": date},
        "outcomes": None if outcomes is None else [TaskOutcome(task_id=t, successes=s, samples=k)
                                                   for t, s, k in outcomes],
    })


@pytest.fixture
def make_entry():
    return build_entry
