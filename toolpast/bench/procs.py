"""Run one command in a fresh process and measure it: wall time, CPU time and that process's own peak RSS.

The command is started through `spawn.py` (see there why the caller cannot measure it directly), which reaps
it with `os.wait4` and so gets the rusage of exactly that process. Output goes to a file, not a pipe, so a
chatty child can never block on a full pipe.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SPAWN = Path(__file__).with_name("spawn.py")


@dataclass(frozen=True)
class ProcRun:
    command: list[str]
    returncode: int
    wall_s: float
    peak_rss_bytes: int
    output: str  # stdout and stderr interleaved
    cpu_s: float = 0.0  # user + system time of the process (its threads included)

    def check(self, what: str) -> ProcRun:
        if self.returncode != 0:
            raise RuntimeError(f"{what} failed with exit code {self.returncode}:\n{self.output[-4000:]}")
        return self


def measure(command: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None) -> ProcRun:
    with tempfile.TemporaryDirectory(prefix="toolpast-measure-") as tmp:
        result, log_path = Path(tmp) / "rusage.json", Path(tmp) / "output.log"
        with open(log_path, "wb") as log:
            launcher = subprocess.run(
                [sys.executable, "-S", "-I", str(SPAWN), str(result), *command],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, check=False,
            )  # fmt: skip
        output = log_path.read_text(encoding="utf-8", errors="replace")
        if launcher.returncode != 0 or not result.is_file():
            raise RuntimeError(f"the measuring launcher failed (exit {launcher.returncode}):\n{output[-2000:]}")
        usage = json.loads(result.read_text())
    return ProcRun(
        list(command), int(usage["returncode"]), float(usage["wall_s"]), int(usage["peak_rss_bytes"]), output,
        float(usage["cpu_s"]),
    )  # fmt: skip


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))
