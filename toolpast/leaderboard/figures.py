"""The transfer table and its ladder as pictures (inline SVG, no script, no network): what a reader sees first.

- The forest plot: PaST - target SFT per category with its 95% interval, each seed's difference as a point,
  and the average as a diamond spanning its interval; a dashed line at 0. Whether the method helps, where, and
  how sure, at a glance.
- The ladder: rung 0 (can the oracle solve the tasks under the budget), (a) knowledge (does SFT teach the
  docs), (b) skill at the source (does RL help where it was trained), (c) transfer (does the vector carry),
  bottom up, each rung coloured by what its numbers say: holds (interval above 0, or every task feasible),
  fails (interval below 0, or tasks cut off), unclear (interval around 0), or not measured.

Elements carry stable ids and data-* attributes (in points, as the tables print them) for tests.
"""

from __future__ import annotations

import math
import statistics
from html import escape

from toolpast.leaderboard.transfer import Ladder, TransferTable

ROW, LABEL, PLOT, PAD = 18, 150, 420, 14


def _pts(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _attr(x: float | None) -> str:
    return "" if x is None else f"{x:.4g}"


def render_forest(table: TransferTable) -> str:
    """PaST - SFT per category (rows sorted as the table), its interval, its seeds, and the average."""
    rows, a = table.rows, table.average
    values = [v for r in rows for v in (_pts(r.ci95_low), _pts(r.ci95_high), _pts(r.past_minus_sft.mean),
                                        *(_pts(sd.diff.mean) for sd in r.per_seed)) if v is not None]
    if a is not None:
        values += [v for v in (_pts(a.ci95_low), _pts(a.ci95_high), _pts(a.past_minus_sft.mean)) if v is not None]
    low = min([-5.0, *values])
    high = max([5.0, *values])
    step = 10.0 if high - low > 30 else 5.0
    low, high = step * math.floor(low / step), step * math.ceil(high / step)

    def x(v: float) -> float:
        return LABEL + PLOT * (v - low) / (high - low)

    height = PAD * 2 + ROW * (len(rows) + 2)
    parts = [f'<svg id="forest" role="img" width="{LABEL + PLOT + 20}" height="{height}" '
             f'aria-label="PaST minus target SFT per category, percentage points, 95% intervals">']
    ticks = [low + i * step for i in range(int(round((high - low) / step)) + 1)]
    for t in ticks:
        parts.append(f'<line class="{"zero" if t == 0 else "grid"}" x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{PAD}" '
                     f'y2="{height - PAD - 4}"/><text x="{x(t):.1f}" y="{height - 2}" text-anchor="middle">'
                     f'{t:+g}</text>')
    for i, r in enumerate(rows):
        y = PAD + ROW * i + ROW / 2
        mean = _pts(r.past_minus_sft.mean)
        parts.append(f'<g class="forest-row" data-category="{escape(r.category)}" data-diff="{_attr(mean)}" '
                     f'data-low="{_attr(_pts(r.ci95_low))}" data-high="{_attr(_pts(r.ci95_high))}">'
                     f'<text x="{LABEL - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(r.category)}</text>')
        if r.ci95_low is not None and r.ci95_high is not None:
            parts.append(f'<line class="whisker" x1="{x(_pts(r.ci95_low)):.1f}" x2="{x(_pts(r.ci95_high)):.1f}" '
                         f'y1="{y:.1f}" y2="{y:.1f}"/>')
        for sd in r.per_seed if len(r.per_seed) > 1 else []:
            parts.append(f'<circle class="seed" data-seed="{escape(str(sd.seed))}" cx="{x(_pts(sd.diff.mean)):.1f}" '
                         f'cy="{y:.1f}" r="2.5"/>')
        parts.append(f'<rect class="mean" x="{x(mean) - 3:.1f}" y="{y - 3:.1f}" width="6" height="6"/></g>')
    if a is not None:
        y = PAD + ROW * (len(rows) + 0.5) + ROW / 2
        mean = _pts(a.past_minus_sft.mean)
        lo, hi = _pts(a.ci95_low), _pts(a.ci95_high)
        left, right = x(lo if lo is not None else mean), x(hi if hi is not None else mean)
        parts.append(f'<g id="forest-average" data-diff="{_attr(mean)}" data-low="{_attr(lo)}" '
                     f'data-high="{_attr(hi)}"><text x="{LABEL - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'average ({a.categories})</text><polygon class="average" points="{left:.1f},{y:.1f} '
                     f'{x(mean):.1f},{y - 6:.1f} {right:.1f},{y:.1f} {x(mean):.1f},{y + 6:.1f}"/></g>')
    parts.append("</svg>")
    return "".join(parts)


def _verdict(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "unclear"
    return "holds" if low > 0 else "fails" if high < 0 else "unclear"


def ladder_rungs(ladder: Ladder) -> list[tuple[str, str, str, str]]:
    """(id, rung, what it says, verdict) bottom up: rung 0, (a), (b), (c)."""
    rungs = []
    f = ladder.feasibility
    if f is None:
        rungs.append(("rung-0", "0 feasible", "not recorded by these entries", "unmeasured"))
    else:
        rungs.append(("rung-0", "0 feasible", f"the oracle solves {f.feasible} of {f.tasks} tasks under the budget",
                      "holds" if f.feasible == f.tasks else "fails"))
    k = ladder.knowledge_average
    if k is None or not {"sft", "past"} <= set(k.accuracy):
        rungs.append(("rung-a", "(a) knowledge", "not measured", "unmeasured"))
    else:
        base = f"base {100 * k.accuracy['base']:.1f}%, " if "base" in k.accuracy else ""
        rungs.append(("rung-a", "(a) knowledge", f"{base}target SFT {100 * k.accuracy['sft']:.1f}%, PaST "
                      f"{100 * k.accuracy['past']:.1f}% on closed-book doc questions",
                      "holds" if "base" in k.accuracy and k.accuracy["sft"] > k.accuracy["base"] else "unclear"))
    if not ladder.source:
        rungs.append(("rung-b", "(b) skill at the source", "not evaluated", "unmeasured"))
    else:
        diffs = [c.rl_minus_sft for c in ladder.source]
        mean = statistics.fmean(d.mean for d in diffs)
        if len(diffs) == 1:
            (d,) = diffs
            verdict = _verdict(d.ci95_low, d.ci95_high)
            interval = f" [{100 * d.ci95_low:+.1f}, {100 * d.ci95_high:+.1f}]"
        else:
            verdict, interval = _verdict(min(d.ci95_low for d in diffs), max(d.ci95_high for d in diffs)), ""
        rungs.append(("rung-b", "(b) skill at the source",
                      f"source RL - source SFT {100 * mean:+.1f} points{interval} ({len(diffs)} comparison"
                      f"{'s' if len(diffs) > 1 else ''})", verdict))
    t = ladder.transfer
    if t is None:
        rungs.append(("rung-c", "(c) transfer", "no target with both target SFT and PaST", "unmeasured"))
    else:
        interval = "" if t.ci95_low is None else f" [{100 * t.ci95_low:+.1f}, {100 * t.ci95_high:+.1f}]"
        rungs.append(("rung-c", "(c) transfer", f"PaST - target SFT {100 * t.past_minus_sft.mean:+.1f} points"
                      f"{interval} over {t.categories} categories", _verdict(t.ci95_low, t.ci95_high)))
    return rungs


def render_ladder(ladder: Ladder) -> str:
    """The four rungs drawn bottom up, each box coloured by its verdict."""
    rungs = ladder_rungs(ladder)
    width, box = 640, 30
    height = (box + 8) * len(rungs) + 8
    parts = [f'<svg id="ladder-picture" role="img" width="{width}" height="{height}" '
             'aria-label="The diagnostic ladder, bottom up: rung 0, knowledge, skill at the source, transfer">',
             f'<line class="rail" x1="14" x2="14" y1="4" y2="{height - 4}"/>'
             f'<line class="rail" x1="{width - 14}" x2="{width - 14}" y1="4" y2="{height - 4}"/>']
    for i, (rid, name, says, verdict) in enumerate(rungs):
        y = height - (box + 8) * (i + 1)
        parts.append(f'<g id="{rid}" class="rung {verdict}" data-verdict="{verdict}">'
                     f'<rect x="14" y="{y}" width="{width - 28}" height="{box}" rx="3"/>'
                     f'<text x="24" y="{y + 19}"><tspan font-weight="bold">{escape(name)}</tspan>  {escape(says)}'
                     f'  ({verdict})</text></g>')
    parts.append("</svg>")
    return "".join(parts)
