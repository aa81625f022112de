"""The terminal summary of an orthogonality report: overall and per-module cosines and relative norms."""

from __future__ import annotations

from rich.table import Table

from toolpast.analysis.records import GroupStats, OrthogonalityReport


def _num(value: float | None, fmt: str = "+.4f") -> str:
    return "n/a" if value is None else format(value, fmt)


def orthogonality_table(report: OrthogonalityReport) -> Table:
    control = report.control_sft_dir is not None
    table = Table(title="SFT vs RL update geometry (cosine ~0 = orthogonal)")
    table.add_column("module")
    table.add_column("cos(dSFT, dRL)", justify="right")
    if control:
        table.add_column("cos(dSFT, dCtrl)", justify="right")
    table.add_column("|dSFT|/|base|", justify="right")
    table.add_column("|dRL|/|base|", justify="right")

    def row(label: str, s: GroupStats, style: str | None = None) -> None:
        cells = [label, _num(s.cos_sft_rl)]
        if control:
            cells.append(_num(s.cos_sft_control))
        cells += [_num(s.rel_norm_sft, ".3e"), _num(s.rel_norm_rl, ".3e")]
        table.add_row(*cells, style=style)

    for module in report.modules:
        row(module, report.per_module[module])
    table.add_section()
    row("overall", report.overall, style="bold")
    return table
