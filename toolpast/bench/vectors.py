"""`toolpast bench vectors`: peak memory and wall time of skill extract + inject, against mergekit and the floor.

The claims under test: extract and inject stream (their peak RSS above the bare interpreter + imports stays
within ~1.5x the largest input shard, whatever the model size), and they run near the floor of an elementwise
operation over checkpoints, which is reading each input once and writing the output once: the benchmark
measures that floor directly, as a plain copy of the same bytes (`python -m toolpast.bench.worker copy`), and
reports our time as a ratio of it. Each operation runs in a fresh process (so one run's allocator state or
page cache mappings cannot flatter the next), `repeats` times, and medians are reported, with CPU time beside
wall time (on a shared machine the CPU time is the steadier number). mergekit's task_arithmetic computes the
same weights (see `toolpast.bench.mergekit`) and is measured the same way, in the same run, so the ratios
compare like with like on this machine. The same weights come out three ways: extract then inject (the
vector is written, and reused for every target), the fused `inject --rl --sft` (one pass, like mergekit's
merge), and mergekit; the fused result must equal the two-step's bit for bit.

Our operations are measured twice over the same inputs. "Recorded": every input model has its weights digest
recorded beside it (`toolpast.models.identity`), as in the pipeline, where each stage records its model's digest
when it writes it, so provenance costs no hashing of the inputs; this is the headline. "Cold": the records are
deleted first, so every input is hashed as it is read (a model that came from elsewhere; the operation then
records it, which is why each cold run deletes them again). The vector's own digest is hashed as extraction
writes it in both cases. The worker reports which inputs had a record when it started, and a run that did not
measure the case it was meant to is an error.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import torch
from rich.console import Console

from toolpast.bench import mergekit as mk
from toolpast.bench.compare import max_abs_diff
from toolpast.bench.inputs import RANDOM_SIZES, SIZES, build_inputs, bytes_needed, remove
from toolpast.bench.procs import ProcRun, measure, median
from toolpast.bench.records import OpStats, SizeResult, VectorBenchReport
from toolpast.bench.table import bench_table, final_lines
from toolpast.models.identity import forget_weights_sha256, weights_sha256

REPO = Path(__file__).resolve().parents[2]
log = Console(stderr=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _worker(op: str, *args: Path | str) -> list[str]:
    return [sys.executable, "-m", "toolpast.bench.worker", op, *map(str, args)]


def _op_s(run: ProcRun) -> float:
    return float(json.loads(run.output.strip().splitlines()[-1])["op_s"])


def _cold(*dirs: Path) -> None:
    """Delete the inputs' recorded digests: the next operation hashes them (and records them again)."""
    for d in dirs:
        forget_weights_sha256(d)


def _recorded(*dirs: Path) -> None:
    """Make sure the inputs' digests are recorded (hashing, unmeasured, only what a cold run did not record)."""
    for d in dirs:
        weights_sha256(d)


def _expect(run: ProcRun, recorded: bool) -> ProcRun:
    """`run` (already checked) saw every model input recorded (`recorded`) or none: else the bench is wrong."""
    seen = json.loads(run.output.strip().splitlines()[-1])["recorded"]
    if any(v != recorded for v in seen.values()):
        raise RuntimeError(f"{run.command[3]} was to run with {'recorded' if recorded else 'cold'} inputs, "
                           f"but its inputs' recorded digests were {seen}")  # fmt: skip
    return run


# SizeResult's OpStats fields and the runs behind each: one repeat of "ours" runs extract then inject
_OPS = {
    "extract": ("extract",), "inject": ("inject",), "ours": ("extract", "inject"), "fused": ("fused",),
    "extract_cold": ("extract_cold",), "inject_cold": ("inject_cold",), "ours_cold": ("extract_cold", "inject_cold"),
    "fused_cold": ("fused_cold",), "floor": ("floor_extract", "floor_inject"), "floor_fused": ("floor_fused",),
}  # fmt: skip


def _stats(op: str, runs: dict[str, list[ProcRun]], keys: tuple[str, ...], baseline: int, shard: int,
           with_op_s: bool = True) -> OpStats:  # fmt: skip
    """Medians over repeats; a repeat of several processes (one from each of `keys`) sums their times, maxes
    their peaks."""
    groups = list(zip(*(runs[k] for k in keys)))
    walls = [sum(p.wall_s for p in g) for g in groups]
    cpus = [sum(p.cpu_s for p in g) for g in groups]
    peaks = [max(p.peak_rss_bytes for p in g) for g in groups]
    over = int(median(peaks)) - baseline
    return OpStats(
        op=op,
        wall_s=median(walls),
        cpu_s=median(cpus),
        op_s=median([sum(_op_s(p) for p in g) for g in groups]) if with_op_s else None,
        peak_rss_bytes=int(median(peaks)),
        peak_rss_over_baseline_bytes=over,
        peak_rss_over_shard=over / shard,
        runs_wall_s=walls,
        runs_peak_rss_bytes=peaks,
        runs_cpu_s=cpus,
    )


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _run(what: str, command: list[str]) -> ProcRun:
    run = measure(command, env=_env())
    log.print(f"  {what:<18} {run.wall_s:7.1f} s  cpu {run.cpu_s:6.1f} s  "
              f"peak RSS {run.peak_rss_bytes / 2**20:8.0f} MiB"
              + ("" if run.returncode == 0 else f"  exit {run.returncode}"))  # fmt: skip
    return run


def _why_failed(run: ProcRun, what: str) -> str:
    tail = " | ".join(line.strip() for line in run.output.strip().splitlines()[-3:])
    return f"{what} exited {run.returncode}: {tail}"


def _mergekit_repeat(exe: Path, config: Path, out: Path, runs: dict[str, list[ProcRun]]) -> str | None:
    """One baseline + merge measurement into `runs`; returns why mergekit cannot be measured, if it cannot."""
    base = _run("mergekit baseline", mk.baseline_command(exe))
    if base.returncode != 0:
        return _why_failed(base, "importing mergekit")
    remove(out)
    merge = _run("mergekit", mk.merge_command(exe, config, out))
    if merge.returncode != 0:
        return _why_failed(merge, "mergekit-yaml")
    runs["mergekit_baseline"].append(base)
    runs["mergekit"].append(merge)
    return None


def bench_size(
    size: str, root: Path, repeats: int, mergekit_yaml: Path | None, mergekit_skipped: str | None
) -> SizeResult:
    """Build the inputs of `size` under `root`, measure every operation `repeats` times, remove the outputs.

    The order within a repeat keeps at most five models on disk (three inputs + two outputs).
    """
    log.print(f"[bold]{size}[/bold]: writing inputs under {root}")
    inputs = build_inputs(size, root / "inputs")
    log.print(f"  {inputs.description}: {inputs.num_parameters / 1e6:.1f}M parameters, "
              f"largest shard {inputs.largest_shard_bytes / 2**20:.1f} MiB")  # fmt: skip
    runs: dict[str, list[ProcRun]] = defaultdict(list)
    vector, injected, fused, merged = root / "vector", root / "injected", root / "fused", root / "merged"
    floor_out = root / "floor.bin"
    config = mk.write_config(inputs, root / "mergekit.yml") if mergekit_yaml else None
    diff = fused_diff = None
    for r in range(repeats):
        last = r == repeats - 1
        runs["baseline"].append(_run("baseline", _worker("baseline")).check("import-only baseline"))
        for path in (vector, injected, fused, floor_out):
            remove(path)
        models = (inputs.rl, inputs.sft, inputs.target)
        _cold(*models)
        extract = _worker("extract", inputs.rl, inputs.sft, vector)
        runs["extract_cold"].append(_expect(_run("extract (cold)", extract).check("extract"), False))
        remove(vector)
        _recorded(*models)
        runs["extract"].append(_expect(_run("extract", extract).check("extract"), True))
        floor_inject = _worker("copy", floor_out, inputs.target, "--direct", vector)  # read as inject reads it
        runs["floor_inject"].append(_run("floor (inject)", floor_inject))
        remove(floor_out)
        inject = _worker("inject", inputs.target, vector, injected)
        _cold(inputs.target)
        runs["inject_cold"].append(_expect(_run("inject (cold)", inject).check("inject"), False))
        remove(injected)
        _recorded(inputs.target)
        runs["inject"].append(_expect(_run("inject", inject).check("inject"), True))
        remove(vector)
        runs["floor_extract"].append(_run("floor (extract)", _worker("copy", floor_out, inputs.rl, inputs.sft)))
        remove(floor_out)
        fused_cmd = _worker("fused", inputs.target, inputs.rl, inputs.sft, fused)
        _cold(*models)
        runs["fused_cold"].append(_expect(_run("fused (cold)", fused_cmd).check("fused inject"), False))
        remove(fused)
        _recorded(*models)
        runs["fused"].append(_expect(_run("fused", fused_cmd).check("fused inject"), True))
        if last:
            fused_diff = max_abs_diff(fused, injected)
        remove(fused)
        runs["floor_fused"].append(_run("floor (fused)", _worker("copy", floor_out, inputs.target, inputs.rl,
                                                                 inputs.sft)))  # fmt: skip
        remove(floor_out)
        if mergekit_yaml is not None and mergekit_skipped is None:
            mergekit_skipped = _mergekit_repeat(mergekit_yaml, config, merged, runs)
            if mergekit_skipped is None and last:
                diff = max_abs_diff(injected, merged)
            remove(merged)
        remove(injected)
    for key in ("floor_inject", "floor_extract", "floor_fused"):
        for run in runs[key]:
            run.check("the floor copy")

    shard = inputs.largest_shard_bytes
    base = int(median([r.peak_rss_bytes for r in runs["baseline"]]))
    # the floor imports nothing: its RSS is measured from zero, not from the toolpast baseline
    stats = {op: _stats(op, runs, keys, 0 if op.startswith("floor") else base, shard) for op, keys in _OPS.items()}
    ours, fused_stats, floor = stats["ours"], stats["fused"], stats["floor"]
    merge = mk_base = None
    if runs["mergekit"] and mergekit_skipped is None:
        mk_base = int(median([r.peak_rss_bytes for r in runs["mergekit_baseline"]]))
        merge = _stats("mergekit", runs, ("mergekit",), mk_base, shard, with_op_s=False)
    mk_wall, mk_cpu = (merge.wall_s, merge.cpu_s) if merge else (None, None)

    def over_mergekit_rss(op: OpStats) -> float | None:
        if merge is None or merge.peak_rss_over_baseline_bytes <= 0:
            return None
        return op.peak_rss_over_baseline_bytes / merge.peak_rss_over_baseline_bytes

    return SizeResult(
        size=size,
        model=inputs.description,
        num_parameters=inputs.num_parameters,
        checkpoint_bytes=inputs.checkpoint_bytes,
        largest_shard_bytes=shard,
        baseline_rss_bytes=base,
        **stats,
        ours_over_floor_wall=_ratio(ours.wall_s, floor.wall_s),
        fused_over_floor_wall=_ratio(fused_stats.wall_s, stats["floor_fused"].wall_s),
        fused_max_abs_diff_vs_ours=fused_diff,
        mergekit=merge,
        mergekit_baseline_rss_bytes=mk_base,
        mergekit_skipped=None if merge else (mergekit_skipped or "not run"),
        ours_over_mergekit_peak_rss=over_mergekit_rss(ours),
        ours_over_mergekit_wall=_ratio(ours.wall_s, mk_wall),
        max_abs_diff_vs_mergekit=diff if merge else None,
        fused_over_mergekit_wall=_ratio(fused_stats.wall_s, mk_wall),
        fused_over_mergekit_peak_rss=over_mergekit_rss(fused_stats),
        ours_over_mergekit_cpu=_ratio(ours.cpu_s, mk_cpu),
        ours_cold_over_floor_wall=_ratio(stats["ours_cold"].wall_s, floor.wall_s),
        ours_cold_over_mergekit_wall=_ratio(stats["ours_cold"].wall_s, mk_wall),
        fused_cold_over_mergekit_wall=_ratio(stats["fused_cold"].wall_s, mk_wall),
        fused_over_mergekit_cpu=_ratio(fused_stats.cpu_s, mk_cpu),
        load_average=list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
    )


def _mergekit_version(exe: Path) -> str | None:
    code = "import importlib.metadata as m; print(m.version('mergekit'))"
    run = measure([mk.interpreter_of(exe), "-c", code], env=_env())
    return run.output.strip().splitlines()[-1] if run.returncode == 0 and run.output.strip() else None


def run_vector_bench(
    sizes: list[str],
    repeats: int = 3,
    skip_mergekit: bool = False,
    workdir: Path | None = None,
    json_path: Path | None = None,
    mergekit_yaml: str | Path | None = None,
) -> VectorBenchReport:
    """Measure every size in `sizes` (see `toolpast.bench.inputs.SIZES`), print a table, optionally write JSON."""
    unknown = [s for s in sizes if s not in SIZES]
    if unknown or not sizes:
        raise ValueError(f"unknown benchmark size(s) {unknown}; choose from {', '.join(SIZES)}")
    if repeats < 1:
        raise ValueError(f"--repeats must be at least 1, got {repeats}")
    exe, skipped = None, None
    if skip_mergekit:
        skipped = "skipped (--skip-mergekit)"
    else:
        exe = mk.find_mergekit_yaml(mergekit_yaml)
        if exe is None:
            skipped = f"mergekit-yaml not found; {mk.MERGEKIT_HINT}"
            log.print(f"[yellow]mergekit: {skipped}[/yellow]")
    if hasattr(os, "getloadavg"):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        log.print(f"load average at start: {load} on {os.cpu_count()} CPUs")
    scratch = Path(tempfile.mkdtemp(prefix="toolpast-bench-", dir=workdir))
    results = []
    try:
        for size in sizes:
            root = scratch / size
            root.mkdir()
            free, need = shutil.disk_usage(root).free, bytes_needed(size)
            if size in RANDOM_SIZES and free < need:
                raise ValueError(f"size {size!r} needs ~{need / 1e9:.1f} GB free under {root}, "
                                 f"only {free / 1e9:.1f} GB; pass --workdir on a larger disk")  # fmt: skip
            try:
                results.append(bench_size(size, root, repeats, exe, skipped))
            finally:
                remove(root)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    largest = max(results, key=lambda r: r.num_parameters)
    report = VectorBenchReport(
        repeats=repeats,
        cpus=os.cpu_count() or 0,
        memory_bytes=os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else None,
        torch_version=torch.__version__,
        mergekit_version=_mergekit_version(exe) if exe else None,
        results=results,
        peak_rss_over_shard=largest.ours.peak_rss_over_shard,
    )
    if json_path is not None:
        report.write_json(json_path)
    out = Console()
    if not out.is_terminal:  # logs: rich would wrap the table at 80 columns
        out.width = max(out.width, 160)
    out.print(bench_table(report))
    for r in results:
        if r.mergekit_skipped:
            out.print(f"mergekit ({r.size}): {r.mergekit_skipped}")
    if json_path is not None:
        print(f"json: {json_path}")
    print("\n".join(final_lines(largest)))
    return report
