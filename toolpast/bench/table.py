"""How the vector benchmark prints: one rich table, then `key: value` lines for the largest model."""

from __future__ import annotations

from rich.table import Table

from toolpast.bench.records import OpStats, SizeResult, VectorBenchReport

MIB = 2**20
TARGET_PEAK_OVER_SHARD = 1.5
TARGET_WALL_RATIO_VS_MERGEKIT = 0.5


_LABELS = {
    "extract": "extract (inputs' digests recorded)", "inject": "inject (recorded)", "ours": "extract + inject",
    "fused": "fused (inject --rl --sft)", "extract_cold": "extract (cold: inputs hashed)", "inject_cold":
    "inject (cold)", "ours_cold": "extract + inject (cold)", "fused_cold": "fused (cold)",
    "floor": "floor (extract + inject)", "floor_fused": "floor (fused)",
}  # fmt: skip


def _opt(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _vs(r: SizeResult, op: OpStats) -> str:
    """The ratio column: against the floor and against mergekit, where this row has them."""
    parts = []
    if op.op == "ours_cold":
        parts.append(f"floor {_opt(r.ours_cold_over_floor_wall, '.2f')}")
        if r.mergekit:
            parts.append(f"mergekit wall {_opt(r.ours_cold_over_mergekit_wall, '.2f')}")
    elif op.op == "fused_cold" and r.mergekit:
        parts.append(f"mergekit wall {_opt(r.fused_cold_over_mergekit_wall, '.2f')}")
    elif op.op == "ours":
        parts.append(f"floor {_opt(r.ours_over_floor_wall, '.2f')}")
        if r.mergekit:
            parts.append(f"mergekit wall {_opt(r.ours_over_mergekit_wall, '.2f')}, "
                         f"RSS {_opt(r.ours_over_mergekit_peak_rss, '.2f')}")  # fmt: skip
    elif op.op == "fused":
        parts.append(f"floor {_opt(r.fused_over_floor_wall, '.2f')}")
        if r.mergekit:
            parts.append(f"mergekit wall {_opt(r.fused_over_mergekit_wall, '.2f')}, "
                         f"RSS {_opt(r.fused_over_mergekit_peak_rss, '.2f')}")  # fmt: skip
    return "; ".join(parts)


def bench_table(report: VectorBenchReport) -> Table:
    table = Table(title=f"skill extract + inject vs the floor and mergekit (medians of {report.repeats}, fresh "
                        "process each)")  # fmt: skip
    columns = ("size", "op", "wall s", "cpu s", "op s", "peak RSS MiB", "over baseline MiB", "/ largest shard",
               "ours / (floor, mergekit)")  # fmt: skip
    for name in columns:
        table.add_column(name, justify="left" if name in ("size", "op") else "right")
    for r in report.results:
        label = f"{r.size}\n{r.num_parameters / 1e6:.1f}M params\nshard {r.largest_shard_bytes / MIB:.1f} MiB"
        ops = [r.extract, r.inject, r.ours, r.fused, r.extract_cold, r.inject_cold, r.ours_cold, r.fused_cold,
               r.floor, r.floor_fused, r.mergekit]  # fmt: skip
        for i, op in enumerate(o for o in ops if o is not None):
            table.add_row(
                label if i == 0 else "",
                _LABELS.get(op.op, op.op),
                f"{op.wall_s:.1f}",
                _opt(op.cpu_s, ".1f"),
                _opt(op.op_s, ".1f"),
                f"{op.peak_rss_bytes / MIB:.0f}",
                f"{op.peak_rss_over_baseline_bytes / MIB:.0f}",
                f"{op.peak_rss_over_shard:.2f}",
                _vs(r, op),
                style="bold" if op.op in ("ours", "fused", "ours_cold") else None,
            )
        table.add_section()
    return table


def final_lines(largest: SizeResult) -> list[str]:
    """Machine-greppable summary of the largest model measured; the last line is the headline ratio.

    `wall_ratio_vs_mergekit` is the two-step (extract, then inject: the vector written once and reused for every
    target), the operation docs/results.md's "Skill-vector memory" target names; it also writes and re-reads the vector,
    which mergekit's task_arithmetic (target + (rl - sft) in one process) never does, so its floor (a plain copy of
    its bytes) is reported against mergekit too. The like-for-like computation, `inject --rl --sft`, is
    `fused_over_mergekit_wall` above it. Both are measured with the inputs' weights digests recorded, as the
    pipeline's stages leave them; the same operations on cold inputs (each hashed as it is read) are the `cold_*`
    lines just above.
    """
    lines = [
        (
            f"model: {largest.size} ({largest.num_parameters / 1e6:.1f}M params, largest shard "
            f"{largest.largest_shard_bytes / MIB:.1f} MiB)"
        ),
        f"target: peak_rss_over_shard <= {TARGET_PEAK_OVER_SHARD}",
        f"peak_rss_over_shard: {largest.ours.peak_rss_over_shard:.3f}",
    ]
    if largest.fused is not None:
        lines.append(f"fused_peak_rss_over_shard: {largest.fused.peak_rss_over_shard:.3f}")
    if largest.ours_cold is not None:
        lines.append(f"cold_peak_rss_over_shard: {largest.ours_cold.peak_rss_over_shard:.3f}")
    if largest.floor is not None:
        lines.append(f"floor_wall_s: {largest.floor.wall_s:.2f} (extract + inject), "
                     f"{_opt(largest.floor_fused.wall_s if largest.floor_fused else None, '.2f')} (fused)")  # fmt: skip
        lines.append(f"ours_over_floor_wall: {_opt(largest.ours_over_floor_wall, '.3f')}")
        lines.append(f"fused_over_floor_wall: {_opt(largest.fused_over_floor_wall, '.3f')}")
    if largest.fused_max_abs_diff_vs_ours is not None:
        lines.append(f"fused_max_abs_diff_vs_ours: {largest.fused_max_abs_diff_vs_ours:.3g}")
    if largest.mergekit is not None:
        lines.append(f"mergekit_peak_rss_over_shard: {largest.mergekit.peak_rss_over_shard:.3f}")
        lines.append(f"ours_over_mergekit_peak_rss: {_opt(largest.ours_over_mergekit_peak_rss, '.3f')}")
        lines.append(f"max_abs_diff_vs_mergekit: {_opt(largest.max_abs_diff_vs_mergekit, '.3g')}")
        lines.append(f"ours_over_mergekit_cpu: {_opt(largest.ours_over_mergekit_cpu, '.3f')}")
        lines.append(f"fused_over_mergekit_cpu: {_opt(largest.fused_over_mergekit_cpu, '.3f')}")
        if largest.floor is not None and largest.mergekit.wall_s:
            lines.append(f"floor_over_mergekit_wall: {largest.floor.wall_s / largest.mergekit.wall_s:.3f} "
                         "(extract + inject's bytes, copied once)")
        lines.append(f"fused_over_mergekit_wall: {_opt(largest.fused_over_mergekit_wall, '.3f')}")
        if largest.ours_cold is not None:
            lines.append(f"cold_fused_over_mergekit_wall: {_opt(largest.fused_cold_over_mergekit_wall, '.3f')}")
            lines.append(f"cold_wall_ratio_vs_mergekit: {_opt(largest.ours_cold_over_mergekit_wall, '.3f')} "
                         "(cold inputs: no recorded digest, each hashed as it is read)")  # fmt: skip
            lines.append("wall_ratio_vs_mergekit below: inputs with recorded digests (the pipeline's case)")
        lines.append(f"target: wall_ratio_vs_mergekit <= {TARGET_WALL_RATIO_VS_MERGEKIT}")
        lines.append(f"wall_ratio_vs_mergekit: {_opt(largest.ours_over_mergekit_wall, '.3f')}")
    return lines
