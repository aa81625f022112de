"""Runs sharing one store: one builder per key, the others wait and reuse; dead and silent owners are recovered."""

import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toolpast.artifacts import ArtifactStore, StageLocked, stage_key
from toolpast.stage_lock import pid_alive, pid_space

SPEC = {"k": 1}
KEY = stage_key("stage", SPEC)
FORK = multiprocessing.get_context("fork")  # real OS processes, started fast (no re-import)


def _lock_path(root: Path) -> Path:
    return root / "stage" / f"{KEY}.lock"


def _write_lock(root: Path, host: str, pid: int, age_s: float = 0.0, pids: str | None = None) -> Path:
    path = _lock_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "pid": pid, "started": time.time() - age_s, "token": "theirs",
                                "pids": pid_space() if pids is None else pids}))
    os.utime(path, (time.time() - age_s, time.time() - age_s))
    return path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _build(root, counter, go, results, hold_s):
    """One run: wait for the start signal, then build (or reuse) the key; report what it got."""
    try:
        go.wait(10)

        def fn(workdir):
            with open(counter, "a") as handle:
                handle.write(f"{os.getpid()}\n")
            (workdir / "checkpoint").write_text("mine")
            time.sleep(hold_s)
            results.put(("checkpoint intact", (workdir / "checkpoint").read_text() == "mine"))
            (workdir / "out.txt").write_text(str(os.getpid()))
            return {"by": os.getpid()}

        artifact, reused = ArtifactStore(Path(root), wait_s=30).run("stage", SPEC, fn)
        results.put(("done", (artifact.manifest.build, reused, (artifact.path / "out.txt").read_text())))
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the test with it
        results.put(("error", repr(err)))


def _results(queue, n, timeout=30.0):
    got, deadline = [], time.time() + timeout
    while len(got) < n:
        kind, value = queue.get(timeout=max(0.1, deadline - time.time()))
        assert kind != "error", value
        assert value if kind == "checkpoint intact" else True, "another run touched the builder's partial work"
        if kind == "done":
            got.append(value)
    return got


@pytest.mark.parametrize("dead_owner", [False, True], ids=["free", "both-break-a-dead-owners-lock"])
def test_two_processes_on_one_key_build_it_once_and_share_it(tmp_path, dead_owner):
    counter, go, results = tmp_path / "calls", FORK.Event(), FORK.Queue()
    if dead_owner:  # both find the same stale lock: only one may break it and build
        _write_lock(tmp_path / "store", platform.node(), _dead_pid())
    procs = [FORK.Process(target=_build, args=(tmp_path / "store", counter, go, results, 0.5)) for _ in range(2)]
    for proc in procs:
        proc.start()
    go.set()
    got = _results(results, 2)
    for proc in procs:
        proc.join(10)
    assert len(counter.read_text().split()) == 1  # fn ran exactly once
    assert sorted(reused for _, reused, _ in got) == [False, True]
    assert len({(build, out) for build, _, out in got}) == 1  # both got the same artifact
    assert not list((tmp_path / "store" / "stage").glob("*.lock*"))
    assert not list((tmp_path / "store" / "stage").glob("*.partial"))


def test_a_dead_owners_lock_is_broken_and_its_partial_work_resumed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOOLPAST_LOCK_STALE_S", "600")  # only the dead pid can make this lock stale
    partial = tmp_path / "stage" / f"{KEY}.partial"
    partial.mkdir(parents=True)
    (partial / ".inputs.json").write_text("{}")
    (partial / "checkpoint").write_text("step 5")
    pid = _dead_pid()
    _write_lock(tmp_path, platform.node(), pid)
    seen = []
    artifact, reused = ArtifactStore(tmp_path, wait_s=5).run(
        "stage", SPEC, lambda w: seen.append((w / "checkpoint").read_text()))
    assert not reused and seen == ["step 5"] and (artifact.path / "manifest.json").is_file()
    assert f"broke the stale lock of stage {KEY} held by pid {pid} on host {platform.node()}" in capsys.readouterr().err
    assert not _lock_path(tmp_path).exists()


@pytest.mark.parametrize("pids, mine, stale", [
    ("another container", False, False),  # same host name, other pid namespace: its pids say nothing here
    (None, True, True),  # this very pid, but not a lock this process holds: left by an earlier process
])
def test_pids_count_only_in_their_own_namespace(tmp_path, monkeypatch, pids, mine, stale):
    monkeypatch.setenv("TOOLPAST_LOCK_STALE_S", "600")
    _write_lock(tmp_path, platform.node(), os.getpid() if mine else _dead_pid(), pids=pids)
    store = ArtifactStore(tmp_path, wait_s=0.3)
    if stale:
        assert not store.run("stage", SPEC, lambda w: None)[1]
    else:
        with pytest.raises(StageLocked, match="gave up"):
            store.run("stage", SPEC, lambda w: pytest.fail("built under a live lock"))


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc")
def test_an_exited_owner_not_yet_reaped_is_dead():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.time() + 20
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.time() < deadline
            time.sleep(0.02)
        assert not pid_alive(child.pid) and pid_alive(os.getpid())  # os.kill(pid, 0) alone says a zombie lives
    finally:
        child.wait()


def test_another_hosts_lock_is_waited_for_while_it_beats_and_broken_when_it_stops(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TOOLPAST_LOCK_STALE_S", "5")
    lock = _write_lock(tmp_path, "elsewhere", os.getpid())  # a live pid here means nothing for another host
    with pytest.raises(StageLocked, match="pid .* on host elsewhere"):
        ArtifactStore(tmp_path, wait_s=0.3).run("stage", SPEC, lambda w: pytest.fail("built under a live lock"))
    assert f"waiting for stage {KEY} built by pid {os.getpid()} on host elsewhere" in capsys.readouterr().err
    assert lock.exists()
    old = time.time() - 60
    os.utime(lock, (old, old))  # its heartbeat stopped a minute ago
    _, reused = ArtifactStore(tmp_path, wait_s=5).run("stage", SPEC, lambda w: None)
    assert not reused and "no heartbeat for" in capsys.readouterr().err
    assert not lock.exists()


def test_the_builder_beats_its_lock_and_a_build_whose_lock_was_taken_is_not_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLPAST_LOCK_STALE_S", "2")  # a heartbeat every 0.4 s
    lock, ages = _lock_path(tmp_path), []

    def slow(workdir):
        owner = json.loads(lock.read_text())
        assert (owner["host"], owner["pid"]) == (platform.node(), os.getpid())
        time.sleep(1.5)
        ages.append(time.time() - lock.stat().st_mtime)

    ArtifactStore(tmp_path).run("stage", SPEC, slow)
    assert ages and ages[0] < 1.2  # touched since fn started 1.5 s ago

    other = stage_key("stage", {"k": 2})

    def robbed(workdir):  # another run judged this one dead and took the key over
        theirs = {"host": "elsewhere", "pid": 1, "started": time.time(), "token": "theirs"}
        (tmp_path / "stage" / f"{other}.lock").write_text(json.dumps(theirs))

    with pytest.raises(StageLocked, match="broke this run's build lock"):
        ArtifactStore(tmp_path).run("stage", {"k": 2}, robbed)
    assert not (tmp_path / "stage" / other).exists()


def test_force_waits_for_a_live_builder_and_reuses_its_build(tmp_path, capsys):
    counter, go, results = tmp_path / "calls", FORK.Event(), FORK.Queue()
    builder = FORK.Process(target=_build, args=(tmp_path / "store", counter, go, results, 1.0))
    builder.start()
    go.set()
    deadline = time.time() + 20
    while not (counter.exists() and counter.read_text()):  # the builder is inside fn, holding the lock
        assert time.time() < deadline
        time.sleep(0.02)
    store = ArtifactStore(tmp_path / "store", wait_s=30)
    artifact, reused = store.run("stage", SPEC, lambda w: pytest.fail("--force deleted a live run's work"),
                                 force=True)
    (build, _, out), = _results(results, 1)
    builder.join(10)
    assert reused and artifact.manifest.build == build and (artifact.path / "out.txt").read_text() == out
    # that build was this run's rebuild: forcing the key again in the same run does not rebuild it twice
    assert store.run("stage", SPEC, lambda w: pytest.fail("rebuilt twice"), force=True)[0].manifest.build == build
    assert "--force reuses the build pid" in capsys.readouterr().err
