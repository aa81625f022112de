"""Typed records of the vector benchmark (what `--json` writes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolpast.file_record import FileRecord, toolpast_version, utc_now


class OpStats(BaseModel):
    """One operation measured `repeats` times, each in a fresh process; headline numbers are medians."""

    model_config = ConfigDict(extra="forbid")

    op: str  # extract | inject | ours (extract + inject) | fused (inject --rl --sft) | *_cold | floor* | mergekit
    wall_s: float  # whole subprocess, interpreter start-up included
    cpu_s: float | None = None  # user + system time of the subprocess (all its threads)
    op_s: float | None  # the operation alone, as timed inside the process (None for mergekit)
    peak_rss_bytes: int
    peak_rss_over_baseline_bytes: int  # peak RSS minus the same interpreter's import-only peak
    peak_rss_over_shard: float  # the above / the largest input shard
    runs_wall_s: list[float]
    runs_peak_rss_bytes: list[int]
    runs_cpu_s: list[float] = Field(default_factory=list)


class SizeResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: str
    model: str
    num_parameters: int
    checkpoint_bytes: int
    largest_shard_bytes: int
    baseline_rss_bytes: int  # median import-only peak of the toolpast worker
    extract: OpStats
    inject: OpStats
    # extract, inject, ours and fused run on inputs whose weights digests are recorded beside them (the pipeline's
    # case: each stage records its model's digest when it writes it); the *_cold ones on the same inputs with
    # no recorded digest, so each input is hashed as it is read (a model the pipeline did not write)
    ours: OpStats  # wall = extract + inject, peak = the larger of the two, per repeat
    fused: OpStats | None = None  # inject --rl --sft: the same weights without writing the vector
    extract_cold: OpStats | None = None
    inject_cold: OpStats | None = None
    ours_cold: OpStats | None = None
    fused_cold: OpStats | None = None
    # the floor: a plain copy that reads each input once and writes (and fsyncs) an output of the same size,
    # measured the same way; floor = extract's + inject's, floor_fused = the fused path's
    floor: OpStats | None = None
    floor_fused: OpStats | None = None
    ours_over_floor_wall: float | None = None
    fused_over_floor_wall: float | None = None
    fused_max_abs_diff_vs_ours: float | None = None  # 0.0: the fused path writes the two-step's bits
    mergekit: OpStats | None
    mergekit_baseline_rss_bytes: int | None
    mergekit_skipped: str | None  # why there are no mergekit numbers
    ours_over_mergekit_peak_rss: float | None  # over-baseline peaks
    ours_over_mergekit_wall: float | None
    max_abs_diff_vs_mergekit: float | None  # our injected weights vs mergekit's merge, last repeat
    fused_over_mergekit_wall: float | None = None
    fused_over_mergekit_peak_rss: float | None = None
    ours_over_mergekit_cpu: float | None = None
    ours_cold_over_floor_wall: float | None = None
    ours_cold_over_mergekit_wall: float | None = None
    fused_cold_over_mergekit_wall: float | None = None
    fused_over_mergekit_cpu: float | None = None
    load_average: list[float] = Field(default_factory=list)  # 1/5/15-min load when this size finished


class VectorBenchReport(FileRecord):
    format: Literal["toolpast.bench.vectors"] = "toolpast.bench.vectors"
    format_version: int = 3  # 3: cold-input rows beside the recorded-digest ones
    repeats: int
    cpus: int
    memory_bytes: int | None
    torch_version: str
    mergekit_version: str | None
    results: list[SizeResult]
    peak_rss_over_shard: float | None  # ours, for the largest model measured
    created_at: datetime = Field(default_factory=utc_now)
    toolpast_version: str = Field(default_factory=toolpast_version)
