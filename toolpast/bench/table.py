"""How the vector benchmark prints: one rich table, then `key: value` lines for the largest model."""

from __future__ import annotations

from rich.table import Table

from toolpast.bench.records import OpStats, SizeResult, VectorBenchReport

MIB = 2**20
TARGET_PEAK_OVER_SHARD = 1.5


def _opt(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def bench_table(report: VectorBenchReport) -> Table:
    table = Table(title=f"skill extract + inject vs mergekit (medians of {report.repeats}, fresh process each)")
    columns = ("size", "op", "wall s", "op s", "peak RSS MiB", "over baseline MiB", "/ largest shard", "ours/mergekit")
    for name in columns:
        table.add_column(name, justify="left" if name in ("size", "op") else "right")
    for r in report.results:
        label = f"{r.size}\n{r.num_parameters / 1e6:.1f}M params\nshard {r.largest_shard_bytes / MIB:.1f} MiB"
        ops: list[OpStats] = [r.extract, r.inject, r.ours, *([r.mergekit] if r.mergekit else [])]
        for i, op in enumerate(ops):
            ratio = ""
            if op.op == "ours" and r.mergekit:
                ratio = f"RSS {_opt(r.ours_over_mergekit_peak_rss, '.2f')}, "
                ratio += f"wall {_opt(r.ours_over_mergekit_wall, '.2f')}"
            table.add_row(
                label if i == 0 else "",
                op.op,
                f"{op.wall_s:.1f}",
                _opt(op.op_s, ".1f"),
                f"{op.peak_rss_bytes / MIB:.0f}",
                f"{op.peak_rss_over_baseline_bytes / MIB:.0f}",
                f"{op.peak_rss_over_shard:.2f}",
                ratio,
                style="bold" if op.op == "ours" else None,
            )
        table.add_section()
    return table


def final_lines(largest: SizeResult) -> list[str]:
    """Machine-greppable summary of the largest model measured."""
    lines = [
        (
            f"model: {largest.size} ({largest.num_parameters / 1e6:.1f}M params, largest shard "
            f"{largest.largest_shard_bytes / MIB:.1f} MiB)"
        ),
        f"target: peak_rss_over_shard <= {TARGET_PEAK_OVER_SHARD}",
        f"peak_rss_over_shard: {largest.ours.peak_rss_over_shard:.3f}",
    ]
    if largest.mergekit is not None:
        lines.append(f"mergekit_peak_rss_over_shard: {largest.mergekit.peak_rss_over_shard:.3f}")
        lines.append(f"ours_over_mergekit_peak_rss: {_opt(largest.ours_over_mergekit_peak_rss, '.3f')}")
        lines.append(f"ours_over_mergekit_wall: {_opt(largest.ours_over_mergekit_wall, '.3f')}")
    return lines
