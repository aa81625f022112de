"""A rich table of a leaderboard: one row per (category, variant), with PaST minus SFT where both exist."""

from __future__ import annotations

from rich.table import Table

from toolpast.leaderboard.schema import Leaderboard


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def render_leaderboard(board: Leaderboard) -> Table:
    table = Table(title="Zero-shot success per variant (closed-book unless noted)")
    for column in ("suite", "category", "variant", "book", "success %", "95% CI", "n", "finished %",
                   "valid calls %", "API recall %"):
        table.add_column(column, justify="right" if column not in ("suite", "category", "variant") else "left")
    for e in board.entries:
        m = e.metrics
        name = e.variant.name + (f" (λ={e.variant.lam:g})" if e.variant.lam is not None else "")
        table.add_row(e.suite, e.category, name, e.book, _pct(m.success_rate),
                      f"[{_pct(m.ci95_low)}, {_pct(m.ci95_high)}]", str(m.n), _pct(m.finished_rate),
                      _pct(m.valid_call_rate), _pct(m.api_recall))
    by_key = {(e.suite, e.category, e.variant.name): e.metrics for e in board.entries}
    gaps = [f"{cat}: {100 * (m.success_rate - by_key[(s, cat, 'sft')].success_rate):+.1f} pts"
            for (s, cat, v), m in by_key.items() if v == "past" and (s, cat, "sft") in by_key]
    if gaps:
        table.caption = "PaST minus target SFT: " + "; ".join(gaps)
    return table
