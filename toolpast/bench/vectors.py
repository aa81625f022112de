"""`toolpast bench vectors`: peak memory and wall time of skill extract + inject, against mergekit.

The claim under test is that extract and inject stream: their peak RSS above the bare interpreter + imports
stays within ~1.5x the largest input shard, whatever the model size. Each operation runs in a fresh process
(so one run's allocator state or page cache mappings cannot flatter the next), `repeats` times, and medians
are reported. mergekit's task_arithmetic computes the same weights (see `toolpast.bench.mergekit`) and is
measured the same way, in the same run, so the ratios compare like with like on this machine.
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
from toolpast.io import atomic_write_text

REPO = Path(__file__).resolve().parents[2]
log = Console(stderr=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def _worker(op: str, *args: Path) -> list[str]:
    return [sys.executable, "-m", "toolpast.bench.worker", op, *map(str, args)]


def _op_s(run: ProcRun) -> float:
    return float(json.loads(run.output.strip().splitlines()[-1])["op_s"])


def _stats(
    op: str, walls: list[float], peaks: list[int], op_s: list[float] | None, baseline: int, shard: int
) -> OpStats:
    over = int(median(peaks)) - baseline
    return OpStats(
        op=op,
        wall_s=median(walls),
        op_s=median(op_s) if op_s else None,
        peak_rss_bytes=int(median(peaks)),
        peak_rss_over_baseline_bytes=over,
        peak_rss_over_shard=over / shard,
        runs_wall_s=walls,
        runs_peak_rss_bytes=peaks,
    )


def _run(what: str, command: list[str]) -> ProcRun:
    run = measure(command, env=_env())
    log.print(f"  {what:<18} {run.wall_s:7.1f} s  peak RSS {run.peak_rss_bytes / 2**20:8.0f} MiB"
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
    """Build the inputs of `size` under `root`, measure every operation `repeats` times, remove the outputs."""
    log.print(f"[bold]{size}[/bold]: writing inputs under {root}")
    inputs = build_inputs(size, root / "inputs")
    log.print(f"  {inputs.description}: {inputs.num_parameters / 1e6:.1f}M parameters, "
              f"largest shard {inputs.largest_shard_bytes / 2**20:.1f} MiB")  # fmt: skip
    runs: dict[str, list[ProcRun]] = defaultdict(list)
    vector, injected, merged = root / "vector", root / "injected", root / "merged"
    config = mk.write_config(inputs, root / "mergekit.yml") if mergekit_yaml else None
    diff = None
    for r in range(repeats):
        last = r == repeats - 1
        runs["baseline"].append(_run("baseline", _worker("baseline")).check("import-only baseline"))
        remove(vector)
        remove(injected)
        runs["extract"].append(_run("extract", _worker("extract", inputs.rl, inputs.sft, vector)).check("extract"))
        runs["inject"].append(_run("inject", _worker("inject", inputs.target, vector, injected)).check("inject"))
        remove(vector)  # disk: at most the 3 inputs + 2 model-sized outputs at any time
        if not last:
            remove(injected)
        if mergekit_yaml is not None and mergekit_skipped is None:
            mergekit_skipped = _mergekit_repeat(mergekit_yaml, config, merged, runs)
            if mergekit_skipped is None and last:
                diff = max_abs_diff(injected, merged)
            remove(merged)
        remove(injected)

    shard = inputs.largest_shard_bytes
    base = int(median([r.peak_rss_bytes for r in runs["baseline"]]))
    ex, inj = runs["extract"], runs["inject"]
    extract, inject = (
        _stats(op, [r.wall_s for r in rs], [r.peak_rss_bytes for r in rs], [_op_s(r) for r in rs], base, shard)
        for op, rs in (("extract", ex), ("inject", inj))
    )
    ours = _stats("ours", [a.wall_s + b.wall_s for a, b in zip(ex, inj)],
                  [max(a.peak_rss_bytes, b.peak_rss_bytes) for a, b in zip(ex, inj)],
                  [_op_s(a) + _op_s(b) for a, b in zip(ex, inj)], base, shard)  # fmt: skip
    merge = mk_base = None
    if runs["mergekit"] and mergekit_skipped is None:
        mk_base = int(median([r.peak_rss_bytes for r in runs["mergekit_baseline"]]))
        m = runs["mergekit"]
        merge = _stats("mergekit", [r.wall_s for r in m], [r.peak_rss_bytes for r in m], None, mk_base, shard)
    return SizeResult(
        size=size,
        model=inputs.description,
        num_parameters=inputs.num_parameters,
        checkpoint_bytes=inputs.checkpoint_bytes,
        largest_shard_bytes=shard,
        baseline_rss_bytes=base,
        extract=extract,
        inject=inject,
        ours=ours,
        mergekit=merge,
        mergekit_baseline_rss_bytes=mk_base,
        mergekit_skipped=None if merge else (mergekit_skipped or "not run"),
        ours_over_mergekit_peak_rss=(ours.peak_rss_over_baseline_bytes / merge.peak_rss_over_baseline_bytes
                                     if merge and merge.peak_rss_over_baseline_bytes > 0 else None),
        ours_over_mergekit_wall=ours.wall_s / merge.wall_s if merge else None,
        max_abs_diff_vs_mergekit=diff if merge else None,
    )  # fmt: skip


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
        atomic_write_text(Path(json_path), report.model_dump_json(indent=2) + "\n")
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
