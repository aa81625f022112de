"""mergekit's task_arithmetic as the reference point for our extract + inject.

With base_model = sft and models [rl, target] at weight 1 (no normalisation), task_arithmetic computes
sft + (rl - sft) + (target - sft) = target + (rl - sft): the same weights as extracting v = rl - sft and
injecting it into target with lambda = 1, in one process. mergekit is optional and is never imported here;
it runs as its own `mergekit-yaml` executable, possibly from another environment.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from toolpast.bench.inputs import BenchInputs
from toolpast.io import atomic_write_text

MERGEKIT_HINT = "install it with `pip install mergekit` (check `pip install --dry-run mergekit` keeps your torch)"


def find_mergekit_yaml(explicit: str | Path | None = None) -> Path | None:
    if explicit is not None:
        return Path(explicit) if Path(explicit).is_file() else None
    beside = Path(sys.executable).parent / "mergekit-yaml"
    if beside.is_file():
        return beside
    found = shutil.which("mergekit-yaml")
    return Path(found) if found else None


def interpreter_of(script: Path) -> str:
    """The Python that runs a console script (its `#!` line), for the import-only baseline of that script."""
    first = script.read_text(errors="replace").splitlines()[0] if script.stat().st_size else ""
    return first[2:].strip() if first.startswith("#!") and "python" in first else sys.executable


def write_config(inputs: BenchInputs, path: Path) -> Path:
    """The merge config, as JSON (which is YAML): target + 1.0 * (rl - sft) in fp32."""
    config = {
        "merge_method": "task_arithmetic",
        "base_model": str(inputs.sft),
        "models": [
            {"model": str(inputs.rl), "parameters": {"weight": 1.0}},
            {"model": str(inputs.target), "parameters": {"weight": 1.0}},
        ],
        "parameters": {"normalize": False},
        "dtype": "float32",
    }
    atomic_write_text(path, json.dumps(config, indent=2) + "\n")
    return path


def merge_command(exe: Path, config: Path, out: Path) -> list[str]:
    return [str(exe), str(config), str(out)]


def baseline_command(exe: Path) -> list[str]:
    """Start the interpreter and import what `mergekit-yaml` imports, then exit."""
    return [interpreter_of(exe), "-c", "import mergekit.scripts.run_yaml, mergekit.merge"]
