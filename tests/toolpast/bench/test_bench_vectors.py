"""The vector benchmark end to end on a tiny model (one repeat, no mergekit): it runs and reports every field,
measures the floor (a plain copy of the same bytes) beside our operations, and the fused path's bits equal the
two-step's."""

from __future__ import annotations

import json

import pytest

from toolpast.bench.records import VectorBenchReport
from toolpast.cli import main


def test_bench_vectors_tiny_writes_json_and_summary(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "vectors", "--sizes", "tiny", "--repeats", "1", "--skip-mergekit",
                 "--workdir", str(tmp_path), "--json", str(out)])  # fmt: skip
    assert code == 0
    report = VectorBenchReport.model_validate_json(out.read_text())
    assert report.repeats == 1 and len(report.results) == 1
    r = report.results[0]
    assert r.size == "tiny" and r.num_parameters > 100_000
    assert r.largest_shard_bytes <= 300_000 * 1.01 and r.checkpoint_bytes > r.largest_shard_bytes  # sharded
    for op in (r.extract, r.inject, r.ours, r.fused, r.extract_cold, r.inject_cold, r.ours_cold, r.fused_cold):
        assert len(op.runs_wall_s) == len(op.runs_peak_rss_bytes) == len(op.runs_cpu_s) == 1
        assert op.wall_s > 0 and op.op_s is not None and 0 < op.op_s < op.wall_s and 0 < op.cpu_s
        assert op.peak_rss_bytes > 0 and op.peak_rss_bytes >= r.baseline_rss_bytes - 64 * 2**20
        assert op.peak_rss_over_shard == pytest.approx(op.peak_rss_over_baseline_bytes / r.largest_shard_bytes)
    assert r.ours.wall_s == pytest.approx(r.extract.wall_s + r.inject.wall_s)
    assert r.ours.cpu_s == pytest.approx(r.extract.cpu_s + r.inject.cpu_s)
    assert r.ours.peak_rss_bytes == max(r.extract.peak_rss_bytes, r.inject.peak_rss_bytes)
    assert r.ours_cold.wall_s == pytest.approx(r.extract_cold.wall_s + r.inject_cold.wall_s)
    assert r.ours_cold_over_floor_wall == pytest.approx(r.ours_cold.wall_s / r.floor.wall_s)
    assert r.fused_max_abs_diff_vs_ours == 0.0  # the fused path writes the two-step's bits
    # the floor imports nothing and computes nothing: less memory than any operation (speed: measured, not asserted)
    for floor in (r.floor, r.floor_fused):
        assert floor.wall_s > 0 and floor.peak_rss_bytes < r.baseline_rss_bytes
    assert r.ours_over_floor_wall == pytest.approx(r.ours.wall_s / r.floor.wall_s)
    assert r.fused_over_floor_wall == pytest.approx(r.fused.wall_s / r.floor_fused.wall_s)
    assert r.mergekit is None and "skip-mergekit" in r.mergekit_skipped and r.ours_over_mergekit_wall is None
    assert r.fused_over_mergekit_wall is None and len(r.load_average) == 3
    assert report.peak_rss_over_shard == r.ours.peak_rss_over_shard
    assert json.loads(out.read_text())["format"] == "toolpast.bench.vectors"
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # the scratch models are cleaned up
    lines = capsys.readouterr().out.strip().splitlines()
    assert f"peak_rss_over_shard: {r.ours.peak_rss_over_shard:.3f}" in lines
    assert f"ours_over_floor_wall: {r.ours_over_floor_wall:.3f}" in lines
    assert lines[-1] == "fused_max_abs_diff_vs_ours: 0"  # without mergekit there is no wall_ratio_vs_mergekit


def test_final_lines_end_with_the_wall_ratio_against_mergekit():
    """With mergekit measured, the last line is the headline ratio: the two-step extract + inject (the fused path,
    mergekit's own computation, and the two-step's I/O floor are reported above it)."""
    from toolpast.bench.records import OpStats, SizeResult
    from toolpast.bench.table import final_lines

    def op(name: str, wall: float) -> OpStats:
        return OpStats(op=name, wall_s=wall, cpu_s=wall, op_s=None, peak_rss_bytes=1, peak_rss_over_baseline_bytes=1,
                       peak_rss_over_shard=0.5, runs_wall_s=[wall], runs_peak_rss_bytes=[1])  # fmt: skip

    r = SizeResult(size="large", model="m", num_parameters=10**9, checkpoint_bytes=4, largest_shard_bytes=2,
                   baseline_rss_bytes=1, extract=op("extract", 4), inject=op("inject", 3), ours=op("ours", 7),
                   fused=op("fused", 5), floor=op("floor", 6), floor_fused=op("floor_fused", 4),
                   ours_over_floor_wall=7 / 6, fused_over_floor_wall=5 / 4, mergekit=op("mergekit", 20),
                   mergekit_baseline_rss_bytes=1, mergekit_skipped=None, ours_over_mergekit_peak_rss=0.1,
                   ours_over_mergekit_wall=0.35, max_abs_diff_vs_mergekit=1e-9,
                   fused_over_mergekit_wall=0.25)  # fmt: skip
    lines = final_lines(r)
    assert lines[-1] == "wall_ratio_vs_mergekit: 0.350" and "fused_over_mergekit_wall: 0.250" in lines
    assert not any(line.startswith("cold_") for line in lines)
    # with cold-input runs, their ratios are printed above the headline, which stays the recorded-digest one
    cold = r.model_copy(update={"extract_cold": op("extract_cold", 8), "inject_cold": op("inject_cold", 6),
                                "ours_cold": op("ours_cold", 14), "fused_cold": op("fused_cold", 9),
                                "ours_cold_over_mergekit_wall": 0.7, "fused_cold_over_mergekit_wall": 0.45})
    lines = final_lines(cold)
    assert lines[-1] == "wall_ratio_vs_mergekit: 0.350"
    assert "cold_wall_ratio_vs_mergekit: 0.700 (cold inputs: no recorded digest, each hashed as it is read)" in lines
    assert "cold_fused_over_mergekit_wall: 0.450" in lines and "cold_peak_rss_over_shard: 0.500" in lines
    assert "floor_over_mergekit_wall: 0.300 (extract + inject's bytes, copied once)" in lines


def test_bench_vectors_rejects_unknown_size(tmp_path, capsys):
    assert main(["bench", "vectors", "--sizes", "huge", "--workdir", str(tmp_path)]) == 2
    assert "unknown benchmark size" in capsys.readouterr().err
