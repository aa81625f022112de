"""An entry's provenance, built one way for every producer (the tool-use pipeline, the QA suites, the regression
gate): what ran (command, preset, config, seeds, backend) plus which code and packages produced the numbers and
when, taken from the evaluation stage's manifest (a reused build keeps its own) or from this process."""

from __future__ import annotations

import datetime as dt
import hashlib

from pydantic import BaseModel

from toolpast import __version__
from toolpast.artifacts import Manifest, canonical_json, package_versions
from toolpast.leaderboard.schema import Provenance


def config_hash(config: BaseModel) -> str:
    """16 hex chars of sha256 over the canonical JSON of a run's full config."""
    return hashlib.sha256(canonical_json(config.model_dump()).encode()).hexdigest()[:16]


def from_manifest(made: Manifest, config: BaseModel, *, command: str, preset: str, seeds: dict[str, int],
                  backend: str) -> Provenance:
    """Provenance of numbers a stage produced: its manifest's commit and packages, dated when it finished."""
    finished = dt.datetime.fromisoformat(made.started_at) + dt.timedelta(seconds=made.wall_time_s)
    return _provenance(made.git_commit, made.packages, finished, config, command, preset, seeds, backend)


def from_process(config: BaseModel, *, command: str, preset: str, seeds: dict[str, int], backend: str,
                 git_commit: str | None, packages: dict[str, str] | None = None) -> Provenance:
    """Provenance of numbers this process just produced, dated now; `packages` defaults to the installed ones."""
    packages = package_versions() if packages is None else packages
    return _provenance(git_commit, packages, dt.datetime.now(dt.timezone.utc), config, command, preset, seeds,
                       backend)


def _provenance(git_commit: str | None, packages: dict[str, str], finished: dt.datetime, config: BaseModel,
                command: str, preset: str, seeds: dict[str, int], backend: str) -> Provenance:
    return Provenance(toolpast_version=packages.get("toolpast", __version__), git_commit=git_commit, command=command,
                      preset=preset, config_hash=config_hash(config), seeds=seeds, backend=backend,
                      date=finished.isoformat(timespec="seconds"), packages=packages)
