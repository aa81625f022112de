"""Per-process measurement: each run reports its own peak RSS, not the maximum over earlier children."""

from __future__ import annotations

import sys

from toolpast.bench.procs import measure

MB = 2**20


def _allocating(mib: int) -> list[str]:
    return [sys.executable, "-c", f"b = bytearray({mib * MB}); b[::4096] = b'x' * len(b[::4096]); print('ok')"]


def test_peak_rss_is_per_child_and_output_is_captured():
    big = measure(_allocating(300))
    small = measure(_allocating(1))
    assert big.returncode == 0 and small.returncode == 0 and big.output.strip() == "ok"
    assert big.peak_rss_bytes - small.peak_rss_bytes > 250 * MB
    assert small.peak_rss_bytes < 100 * MB and big.wall_s > 0


def test_failure_is_reported_with_output():
    run = measure([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"])
    assert run.returncode == 3 and "boom" in run.output
    try:
        run.check("the thing")
    except RuntimeError as error:
        assert "the thing failed with exit code 3" in str(error) and "boom" in str(error)
    else:
        raise AssertionError("check() accepted a failed run")
