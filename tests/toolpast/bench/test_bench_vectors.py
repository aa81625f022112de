"""The vector benchmark end to end on a tiny model (one repeat, no mergekit): it runs and reports every field."""

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
    for op in (r.extract, r.inject, r.ours):
        assert len(op.runs_wall_s) == len(op.runs_peak_rss_bytes) == 1
        assert op.wall_s > 0 and op.op_s is not None and 0 < op.op_s < op.wall_s
        assert op.peak_rss_bytes > 0 and op.peak_rss_bytes >= r.baseline_rss_bytes - 64 * 2**20
        assert op.peak_rss_over_shard == pytest.approx(op.peak_rss_over_baseline_bytes / r.largest_shard_bytes)
    assert r.ours.wall_s == pytest.approx(r.extract.wall_s + r.inject.wall_s)
    assert r.ours.peak_rss_bytes == max(r.extract.peak_rss_bytes, r.inject.peak_rss_bytes)
    assert r.mergekit is None and "skip-mergekit" in r.mergekit_skipped and r.ours_over_mergekit_wall is None
    assert report.peak_rss_over_shard == r.ours.peak_rss_over_shard
    assert json.loads(out.read_text())["format"] == "toolpast.bench.vectors"
    assert [p.name for p in tmp_path.iterdir()] == ["bench.json"]  # the scratch models are cleaned up
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == f"peak_rss_over_shard: {r.ours.peak_rss_over_shard:.3f}"


def test_bench_vectors_rejects_unknown_size(tmp_path, capsys):
    assert main(["bench", "vectors", "--sizes", "huge", "--workdir", str(tmp_path)]) == 2
    assert "unknown benchmark size" in capsys.readouterr().err
