"""Content-addressed stage artifacts: a stage's output directory is named by a hash of everything it depends on.

Layout: `$TOOLPAST_HOME/artifacts/<stage>/<key>/` holds the outputs and `manifest.json`, which is written last;
a directory with a manifest is finished and is reused by any later run with the same key. Work happens in
`<key>.partial/`, which survives a kill: the stage finds its own checkpoints there and resumes, and a lock file
holding the owner's pid keeps two live processes out of the same partial directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from toolpast.io import atomic_write_text
from toolpast.paths import artifacts_dir, repo_root

TRACKED_PACKAGES = ("toolpast", "torch", "transformers", "trl", "peft", "accelerate", "pydantic", "vllm")
# Bump when a stage's semantics change so that old artifacts are not reused for new code.
STAGE_CODE_VERSION = 1


class Manifest(BaseModel):
    """What produced an artifact, enough to rerun it: recorded next to every stage output."""

    stage: str
    key: str
    spec: dict[str, Any] = Field(description="The hashed payload: config, inputs' keys, seeds, code version.")
    outputs: dict[str, Any] = Field(default_factory=dict, description="Small results the stage returned.")
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    host: str = ""
    started_at: str = ""
    wall_time_s: float = 0.0


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def stage_key(stage: str, spec: dict[str, Any]) -> str:
    """16 hex chars of sha256 over the canonical JSON of the stage name, its spec and the code version."""
    body = canonical_json({"stage": stage, "spec": spec, "code_version": STAGE_CODE_VERSION})
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo_root(), capture_output=True, text=True,
                             timeout=5)
        if out.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo_root(),
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


class StageLocked(RuntimeError):
    """Another live process is working on the same stage artifact."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _lock(partial: Path):
    lock = partial / ".lock"
    if lock.exists():
        try:
            owner = int(lock.read_text().strip() or 0)
        except ValueError:
            owner = 0
        if owner and owner != os.getpid() and _pid_alive(owner):
            raise StageLocked(f"{partial} is being written by live process {owner}; wait for it or kill it")
    atomic_write_text(lock, str(os.getpid()))
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


class Artifact:
    """A finished stage output: its directory and manifest."""

    def __init__(self, path: Path):
        self.path = path
        self.manifest = Manifest.model_validate_json((path / "manifest.json").read_text())

    @property
    def key(self) -> str:
        return self.manifest.key

    @property
    def outputs(self) -> dict[str, Any]:
        return self.manifest.outputs


class ArtifactStore:
    """Runs stages at most once per key and hands back their finished directories."""

    def __init__(self, root: Path | None = None):
        self.root = root or artifacts_dir()
        # Read once, when the run starts: the code a process runs is the code it started with, even if the
        # checkout moves on while a long run is going.
        self.commit = git_commit()

    def path_for(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def lookup(self, stage: str, spec: dict[str, Any]) -> Artifact | None:
        final = self.path_for(stage, stage_key(stage, spec))
        return Artifact(final) if (final / "manifest.json").is_file() else None

    def run(self, stage: str, spec: dict[str, Any], fn: Callable[[Path], dict[str, Any] | None],
            force: bool = False) -> tuple[Artifact, bool]:
        """Return (artifact, reused). `fn(workdir)` writes outputs into workdir and returns small results.

        With force, a finished artifact is moved aside and the stage reruns from scratch.
        """
        key = stage_key(stage, spec)
        final = self.path_for(stage, key)
        partial = final.with_name(key + ".partial")
        if force:
            for path in (final, partial):
                shutil.rmtree(path, ignore_errors=True)
        if (final / "manifest.json").is_file():
            return Artifact(final), True
        partial.mkdir(parents=True, exist_ok=True)
        with _lock(partial):
            started = time.time()
            outputs = fn(partial) or {}
            manifest = Manifest(
                stage=stage, key=key, spec=json.loads(canonical_json(spec)), outputs=outputs,
                packages=package_versions(), git_commit=self.commit, host=platform.node(),
                started_at=dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
                wall_time_s=round(time.time() - started, 2))
            atomic_write_text(partial / "manifest.json", manifest.model_dump_json(indent=2))
        shutil.rmtree(final, ignore_errors=True)  # a manifest-less leftover
        os.replace(partial, final)
        return Artifact(final), False
