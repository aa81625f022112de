"""A rich table of a leaderboard: one row per (category, variant), with PaST minus SFT and its interval.

The cell formatters here are shared with the HTML page so that the terminal, the page and its tests agree.
"""

from __future__ import annotations

from rich.table import Table

from toolpast.leaderboard.schema import Entry, Leaderboard


def pct(x: float | None) -> str:
    """A rate as percent with one decimal; '-' when absent."""
    return "-" if x is None else f"{100 * x:.1f}"


def ci_text(low: float, high: float) -> str:
    return f"[{pct(low)}, {pct(high)}]"


def points(x: float) -> str:
    """A difference of rates in percentage points, signed."""
    return f"{100 * x:+.1f}"


def variant_label(e: Entry) -> str:
    v = e.variant
    extra = [f"λ={v.lam:g}"] if v.lam is not None else []
    extra += [x for x in (v.knowledge, v.setting) if x]
    extra += [f"K={v.rounds}"] if v.rounds is not None else []
    return v.name + (f" ({', '.join(extra)})" if extra else "")


def pass_ks(board: Leaderboard, field: str) -> list[str]:
    """The k values (as strings, numeric order) that any entry reports for pass_at_k or pass_hat_k."""
    ks = {k for e in board.entries for k in (getattr(e.metrics, field) or {})}
    return sorted(ks, key=int)


def render_leaderboard(board: Leaderboard) -> Table:
    from toolpast.leaderboard.paired import past_vs_sft

    at_ks, hat_ks = pass_ks(board, "pass_at_k"), pass_ks(board, "pass_hat_k")
    table = Table(title="Zero-shot success per variant (closed-book unless noted)")
    columns = ["suite", "category", "variant", "book", "success %", "95% CI", "n"]
    columns += [f"pass@{k} %" for k in at_ks] + [f"pass^{k} %" for k in hat_ks]
    columns += ["finished %", "valid calls %", "API recall %"]
    for column in columns:
        table.add_column(column, justify="right" if column not in ("suite", "category", "variant") else "left")
    for e in board.entries:
        m = e.metrics
        table.add_row(e.suite, e.category, variant_label(e), e.book, pct(m.success_rate),
                      ci_text(m.ci95_low, m.ci95_high), str(m.n),
                      *[pct((m.pass_at_k or {}).get(k)) for k in at_ks],
                      *[pct((m.pass_hat_k or {}).get(k)) for k in hat_ks],
                      pct(m.finished_rate), pct(m.valid_call_rate), pct(m.api_recall))
    gaps = [f"{past.suite}/{past.category} {variant_label(past)}: {points(d.mean)} pts "
            f"[{points(d.ci95_low)}, {points(d.ci95_high)}] ({d.method}, {d.n_tasks} tasks)"
            for past, _, d in past_vs_sft(board)]
    if gaps:
        table.caption = "PaST minus target SFT, 95% CI: " + "; ".join(gaps)
    return table
