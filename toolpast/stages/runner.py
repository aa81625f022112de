"""Runs stages through the artifact store: the one stage runner the tool-use run, the sweep and the QA suites use.

A stage is a name ("kind[:label]"), a spec and a build function `fn(workdir) -> outputs`. Its key hashes the spec
plus the code the build can run (`stage_code`), so a rerun reuses what is done and new code never reuses an old
result (artifacts.py, codehash.py).
"""

from __future__ import annotations

import time
from pathlib import Path

from toolpast import distributed
from toolpast.artifacts import Artifact, ArtifactStore, stage_key
from toolpast.codehash import code_digest, installed_index
from toolpast.progress import console

CodeRoots = dict[str, tuple[str, ...]]  # stage kind -> the modules whose import closure its key hashes


def build_id(artifact: Artifact) -> str:
    """How a later stage's spec names this build: its key, a content address (the same inputs and code give the
    same id in every home). A rebuild under the same key is told apart by the store (Manifest.build)."""
    return artifact.key


def stage_code(kind: str, fn, code: CodeRoots | None = None) -> str:
    """The digest of the code a stage of this kind runs when built by `fn`. A suite names, per kind, the modules
    whose functions the build calls (`code`; e.g. toolpast.tooluse.stages.STAGE_CODE): the key hashes their import
    closure plus the module that defines `fn`, so editing an evaluation module keeps the trained models. A kind it
    does not name hashes the import closure of the module defining `fn` (all of the packages if that is unknown)."""
    index = installed_index()
    fn_code = getattr(fn, "__code__", None)
    home = index.module_of(fn_code.co_filename) if fn_code is not None else None
    if code and kind in code:
        return code_digest(code[kind], (home,) if home else ())
    return code_digest((home,) if home else tuple(sorted(index.modules)))


class Runner:
    """Runs stages through the artifact store, reporting for each whether it was reused and how long it took.

    A forced stage is rebuilt once per run: a second request for the same key in the same run reuses that build.

    Under several processes (toolpast.distributed) only main calls the store: it decides reuse, takes the lock,
    clears stale partial work and writes the manifest. A collective stage's function then runs on every rank:
    main's function first tells the others the `.partial` directory (a broadcast that is also the barrier the
    others wait at), so no rank starts before main has prepared it. Any other stage runs on main alone. Either way
    main ends each stage by broadcasting the finished artifact, or its error, so the ranks never disagree on a
    reuse and never wait for a main that has failed.
    """

    def __init__(self, store: ArtifactStore, force: set[str], code: CodeRoots | None = None,
                 collective: frozenset[str] = frozenset()):
        """`code`: the suite's stage kinds -> the modules their builds call (see stage_code). `collective`: the
        kinds every rank runs (the trainers, which take the distributed setup from accelerate, and a sharded
        evaluation); any other kind runs on main alone."""
        self.store, self.force = store, force
        self.code, self.collective = dict(code or {}), frozenset(collective)
        self.rebuilt: set[tuple[str, str]] = set()
        installed_index()  # read the code now: a run keys its stages by the code it started with

    def stage(self, name: str, spec: dict, fn, check=None, about=None) -> Artifact:
        """Build (or reuse) stage `name`, then run `check(artifact)` on its result, reused or new, on every rank: a
        result that must not be used raises there. `about` describes the stage for a plan (stages.plan; a
        PlanningRunner calls it, this runner does not)."""
        artifact = self._stage(name, spec, fn)
        if check is not None:
            check(artifact)
        return artifact

    def _stage(self, name: str, spec: dict, fn) -> Artifact:
        kind = name.split(":")[0]
        spec = {**spec, "code": stage_code(kind, fn, self.code)}
        if not distributed.is_main():
            return self._follow(kind, fn, kind in self.collective)
        key = (kind, stage_key(kind, spec))
        started = time.time()

        def everyone(workdir: Path):
            distributed.broadcast(("run", str(workdir)))  # the others start fn on workdir only now
            outputs = fn(workdir)
            distributed.barrier()  # and have left it before the store moves it into place
            return outputs

        try:
            artifact, reused = self.store.run(kind, spec, everyone if kind in self.collective else fn,
                                              force=kind in self.force and key not in self.rebuilt)
        except BaseException as error:
            distributed.fail(error)
            raise
        distributed.broadcast(("ok", (str(artifact.path), reused)))
        if not reused:
            self.rebuilt.add(key)
        elapsed = time.time() - started
        verb = "[green]reused[/]" if reused else f"[yellow]built[/] in {elapsed:.0f}s"
        console.print(f"stage {name:<16} {verb}  {artifact.path}", soft_wrap=True)
        return artifact

    @staticmethod
    def _follow(kind: str, fn, collective: bool) -> Artifact:
        """A non-main rank's side of `stage`: run main's partial directory when told to, then read the artifact
        main finished (never the store's lock, never a write in the store)."""
        message = distributed.broadcast()
        if message[0] == "run":
            if not collective:
                raise RuntimeError(f"main asked rank {distributed.rank()} to run main-only stage {kind}")
            fn(Path(message[1]))
            distributed.barrier()
            message = distributed.broadcast()
        path, _ = distributed.received(message)
        return Artifact(Path(path))
