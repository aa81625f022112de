"""What every stage function is handed besides its inputs: one frozen value instead of a positional tail."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StageContext:
    """The run-wide settings a stage threads through (seed, dtype) and where and under which title it works."""

    seed: int  # the run's seed: sampling, shuffling and hf generation draw from it
    dtype: str  # the weights' dtype when a checkpoint is loaded (float32, bfloat16, ...)
    workdir: Path  # the stage's (partial) artifact directory: everything it writes goes below it
    title: str  # the progress bar's label
