import os
import subprocess
import sys

import pytest

from toolpast.artifacts import ArtifactStore, StageLocked, stage_key


def test_key_is_stable_and_sensitive():
    spec = {"b": [1, 2], "a": {"x": 1.5}}
    assert stage_key("sft", spec) == stage_key("sft", {"a": {"x": 1.5}, "b": [1, 2]})
    assert stage_key("sft", spec) != stage_key("rl", spec)
    assert stage_key("sft", spec) != stage_key("sft", {**spec, "b": [2, 1]})


def test_run_once_then_reuse(tmp_path):
    store, calls = ArtifactStore(tmp_path), []

    def fn(workdir):
        calls.append(workdir)
        (workdir / "out.txt").write_text("hello")
        return {"value": 3}

    first, reused1 = store.run("stage", {"k": 1}, fn)
    second, reused2 = store.run("stage", {"k": 1}, fn)
    assert (reused1, reused2) == (False, True)
    assert len(calls) == 1
    assert second.outputs == {"value": 3} and (second.path / "out.txt").read_text() == "hello"
    assert second.manifest.wall_time_s >= 0 and second.manifest.packages["toolpast"]
    assert not list(tmp_path.glob("stage/*.partial"))


def test_force_rebuilds(tmp_path):
    store, calls = ArtifactStore(tmp_path), []
    store.run("stage", {"k": 1}, lambda w: calls.append(1))
    _, reused = store.run("stage", {"k": 1}, lambda w: calls.append(2), force=True)
    assert not reused and calls == [1, 2]


def test_crash_keeps_partial_work_for_resume(tmp_path):
    store = ArtifactStore(tmp_path)

    def crash(workdir):
        (workdir / "checkpoint").write_text("step 5")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.run("stage", {"k": 1}, crash)
    assert store.lookup("stage", {"k": 1}) is None  # not finished
    seen = {}

    def resume(workdir):
        seen["checkpoint"] = (workdir / "checkpoint").read_text()

    store.run("stage", {"k": 1}, resume)
    assert seen == {"checkpoint": "step 5"}
    assert store.lookup("stage", {"k": 1}) is not None


def test_live_owner_locks_out_second_process(tmp_path):
    store = ArtifactStore(tmp_path)
    partial = store.path_for("stage", stage_key("stage", {"k": 1})).with_name(stage_key("stage", {"k": 1}) + ".partial")
    partial.mkdir(parents=True)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (partial / ".lock").write_text(str(sleeper.pid))
        with pytest.raises(StageLocked, match=str(sleeper.pid)):
            store.run("stage", {"k": 1}, lambda w: None)
    finally:
        sleeper.kill()
        sleeper.wait()
    # a dead owner's lock is taken over
    _, reused = store.run("stage", {"k": 1}, lambda w: None)
    assert not reused and os.path.isdir(store.path_for("stage", stage_key("stage", {"k": 1})))
