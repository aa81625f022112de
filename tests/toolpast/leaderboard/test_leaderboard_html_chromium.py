"""The leaderboard page opened in a real headless browser (Debian's chromium): what a reader sees is the JSON.

Skips when no chromium is installed, unless TOOLPAST_REQUIRE_CHROMIUM=1 (CI installs it and sets that).
"""

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from toolpast.cli import main
from toolpast.leaderboard.paired import compare
from toolpast.leaderboard.schema import Leaderboard, TaskOutcome
from toolpast.leaderboard.stats import pass_k_fields, wilson_interval

NATIVE = Path(__file__).resolve().parents[3] / "leaderboards" / "native_finance_cpu.json"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("TOOLPAST_REQUIRE_CHROMIUM") == "1":
        pytest.fail("TOOLPAST_REQUIRE_CHROMIUM=1 but neither chromium nor chromium-browser is on PATH")
    pytest.skip("chromium not installed (apt-get install chromium)")


class _Dom(HTMLParser):
    """The parts of the dumped DOM the test reads: title, <html> attributes, leaderboard rows, difference rows.

    Rows of the transfer section (above the entries) carry neither data-variant nor data-method, so they stay out.
    """

    def __init__(self):
        super().__init__()
        self.title, self.html_attrs, self.table_attrs = "", {}, {}
        self.rows, self.diffs, self._cell, self._in_title = [], [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_attrs = attrs
        elif tag == "title" and not self.title:
            self._in_title = True
        elif tag == "table" and attrs.get("id") == "leaderboard":
            self.table_attrs = attrs
        elif tag == "tr" and "data-variant" in attrs:
            self.rows.append({"attrs": attrs, "cells": {}})
        elif tag == "tr" and "data-method" in attrs:
            self.diffs.append({"attrs": attrs, "cells": {}})
        elif tag == "td" and (self.rows or self.diffs):
            cls = [c for c in (attrs.get("class") or "").split() if c.startswith("c-")]
            self._cell = cls[0][2:] if cls else None
            self._current = self.diffs[-1] if self.diffs else self.rows[-1]

    def handle_endtag(self, tag):
        self._in_title = False if tag == "title" else self._in_title
        self._cell = None if tag == "td" else self._cell

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif self._cell:
            self._current["cells"][self._cell] = self._current["cells"].get(self._cell, "") + data


def _synthetic(make_entry) -> Leaderboard:
    def entry(variant, rates, lam=None):
        outcomes = [(f"task{i}", s, 2) for i, s in enumerate(rates)]
        fields = pass_k_fields([TaskOutcome(task_id=t, successes=s, samples=k) for t, s, k in outcomes])
        return make_entry(variant, outcomes=outcomes, lam=lam, finished_rate=0.5, **fields)
    return Leaderboard(entries=[entry("base", [0, 0, 0, 1, 0, 0, 0, 0]), entry("sft", [1, 0, 0, 1, 0, 2, 0, 0]),
                                entry("past", [2, 1, 0, 2, 1, 2, 0, 1], lam=1.0),
                                entry("past", [1, 1, 0, 2, 0, 2, 0, 0], lam=0.5)])


def test_page_in_headless_chromium_shows_the_json(make_entry, tmp_path):
    chromium = _chromium()
    if not NATIVE.exists():
        pytest.skip(f"{NATIVE} missing")
    synthetic = tmp_path / "synthetic.json"
    synthetic.write_text(_synthetic(make_entry).model_dump_json(indent=2))
    page = tmp_path / "page.html"
    assert main(["leaderboard", "html", str(NATIVE), str(synthetic), "--out", str(page)]) == 0
    boards = [Leaderboard.model_validate_json(p.read_text()) for p in (NATIVE, synthetic)]
    entries = [e for b in boards for e in b.entries]

    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri() + "#sort=-success"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "</html>" in proc.stdout, proc.stderr[-2000:]
    dom = _Dom()
    dom.feed(proc.stdout)

    assert dom.title == "toolpast leaderboard: native/finance, synthetic/weather"
    assert dom.html_attrs.get("data-js") == "ready", "the page script did not finish"
    assert dom.table_attrs.get("data-sorted-by") == "success:desc"
    success = [float(r["attrs"]["data-success"]) for r in dom.rows]
    assert success == sorted(success, reverse=True), "the #sort=-success order was not applied"

    def key(suite, category, variant, lam):
        return suite, category, variant, None if lam in (None, "") else float(lam)

    rows = {key(r["attrs"]["data-suite"], r["attrs"]["data-category"], r["attrs"]["data-variant"],
                r["attrs"]["data-lam"]): r["cells"] for r in dom.rows}
    assert len(dom.rows) == len(rows) == len(entries) == 8
    for e in entries:
        cells, m = rows[key(e.suite, e.category, e.variant.name, e.variant.lam)], e.metrics
        assert cells["success"] == f"{100 * m.success_rate:.1f}"
        assert cells["ci"] == f"[{100 * m.ci95_low:.1f}, {100 * m.ci95_high:.1f}]"
        assert cells["n"] == str(m.n)
        for k, v in (m.pass_at_k or {}).items():
            assert cells[f"pass-at-{k}"] == f"{100 * v:.1f}"
        assert "pass-at-2" in cells and (cells["pass-at-2"] == "-") == (m.pass_at_k is None)

    diffs = {(d["attrs"]["data-suite"], float(d["attrs"]["data-lam"])): d for d in dom.diffs}
    assert len(diffs) == len(dom.diffs) == 3
    by = {(e.suite, e.variant.name, e.variant.lam): e for e in entries}
    for (suite, lam), d in diffs.items():
        expected = compare(by[(suite, "past", lam)], by[(suite, "sft", None)])
        paired = by[(suite, "past", lam)].outcomes is not None and by[(suite, "sft", None)].outcomes is not None
        assert d["attrs"]["data-method"] == expected.method == ("paired bootstrap" if paired else "unpaired Newcombe")
        assert d["cells"]["diff"] == f"{100 * expected.mean:+.1f}"
        assert d["cells"]["diff-ci"] == f"[{100 * expected.ci95_low:+.1f}, {100 * expected.ci95_high:+.1f}]"


def test_transfer_section_in_headless_chromium_shows_the_json(make_entry, transfer_dom, tmp_path):
    """A sweep's board (3 target categories, one where PaST is worse): the paper's table above the entries."""
    chromium = _chromium()
    wins = {"finance": ({0}, {0, 1, 2}, {0, 1, 2, 3, 4}), "music": (set(), {1, 2, 3, 4}, {1, 2}),
            "weather": ({5}, {0, 1}, {1, 2})}
    entries = [make_entry(v, outcomes=[(f"{c}-{i}", int(i in w), 1) for i in range(10)], category=c,
                          lam=1.0 if v == "past" else None, config_hash=f"cfg-{c}")
               for c, ws in wins.items() for v, w in zip(("base", "sft", "past"), ws)]
    path, page = tmp_path / "sweep.json", tmp_path / "sweep.html"
    path.write_text(Leaderboard(entries=entries).model_dump_json(indent=2))
    assert main(["leaderboard", "html", str(path), "--out", str(page)]) == 0
    board = Leaderboard.model_validate_json(path.read_text())
    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "</html>" in proc.stdout, proc.stderr[-2000:]
    assert proc.stdout.index('id="transfer"') < proc.stdout.index('id="leaderboard"')
    dom = transfer_dom(proc.stdout)

    by = {(e.category, e.variant.name): e for e in board.entries}
    assert sorted(dom.rows) == sorted(wins)
    diffs = []
    for category, row in dom.rows.items():
        d = compare(by[(category, "past")], by[(category, "sft")])
        diffs.append(d.mean)
        assert row["cells"]["diff"] == f"{100 * d.mean:+.1f} [{100 * d.ci95_low:+.1f}, {100 * d.ci95_high:+.1f}]"
        for variant in ("base", "sft", "past"):
            m = by[(category, variant)].metrics
            low, high = wilson_interval(m.successes, m.n)
            assert row["cells"][variant] == (f"{100 * m.success_rate:.1f}% ({m.successes}/{m.n}) "
                                             f"[{100 * low:.1f}, {100 * high:.1f}]")
    mean = sum(diffs) / len(diffs)
    low, high = float(dom.average["attrs"]["data-low"]), float(dom.average["attrs"]["data-high"])
    assert dom.average["cells"]["category"] == "average (3 categories)"
    assert float(dom.average["attrs"]["data-diff"]) == pytest.approx(mean) and low <= mean <= high
    assert dom.average["cells"]["diff"] == f"{100 * mean:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"
    for variant in ("base", "sft", "past"):
        rate = sum(by[(c, variant)].metrics.success_rate for c in wins) / len(wins)
        assert dom.average["cells"][variant] == f"{100 * rate:.1f}%"
