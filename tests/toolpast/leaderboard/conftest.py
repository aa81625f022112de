"""Synthetic leaderboard entries for the leaderboard tests: valid records with only the fields a test cares about."""

from __future__ import annotations

from html.parser import HTMLParser

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


class TransferDom(HTMLParser):
    """Rows of #transfer-table: category rows by data-category, the average row; cell texts by t-* class."""

    def __init__(self):
        super().__init__()
        self.rows, self.average, self.counts, self._row, self._cell, self._in = {}, None, {}, None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._in = attrs.get("id") == "transfer-table"
        elif tag == "p" and attrs.get("id") == "transfer-counts":
            self.counts = attrs
        elif self._in and tag == "tr" and ("data-category" in attrs or attrs.get("id") == "transfer-average"):
            self._row = {"attrs": attrs, "cells": {}}
            if "data-category" in attrs:
                self.rows[attrs["data-category"]] = self._row
            else:
                self.average = self._row
        elif self._row and tag in ("td", "th"):
            cls = [c for c in (attrs.get("class") or "").split() if c.startswith("t-")]
            self._cell = cls[0][2:] if cls else None

    def handle_endtag(self, tag):
        self._cell = None if tag in ("td", "th") else self._cell
        self._in = False if tag == "table" else self._in

    def handle_data(self, data):
        if self._cell:
            self._row["cells"][self._cell] = self._row["cells"].get(self._cell, "") + data


@pytest.fixture
def transfer_dom():
    """Parse a page (or a dumped DOM) into its transfer section: `transfer_dom(html).rows / .average / .counts`."""
    def parse(html: str) -> TransferDom:
        dom = TransferDom()
        dom.feed(html)
        return dom
    return parse
