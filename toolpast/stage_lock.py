"""One builder per stage key, across processes and hosts that share `$TOOLPAST_HOME`, and recovery from dead ones.

The lock is the file `<stage>/<key>.lock`, beside the `<key>.partial/` work directory (never inside it: it is
never mistaken for work and never moves with the finished directory). Why this design:
- Taking it is one `os.link(temp, lock)`: a hard link is created atomically and fails when the lock exists, on
  local filesystems and on NFS (the classic NFS-safe lock; O_CREAT|O_EXCL is only atomic from NFSv3), and the
  owner record {host, pid, started, token} is complete the moment the lock exists. Where hard links are not
  supported (some FUSE/SMB mounts) it falls back to O_CREAT|O_EXCL. flock/fcntl are not used: some NFS and
  cluster mounts ignore them or keep them per client, and they cannot say who holds a lock or since when.
- A daemon thread refreshes the lock's mtime (the heartbeat) while the stage runs. A lock is stale when its
  pid is dead on this host (same host name, boot and pid namespace: a container's pids mean nothing outside it),
  or (any host) its heartbeat is older than `TOOLPAST_LOCK_STALE_S` (default 300 s). That age is measured on
  the filesystem's clock (the mtime of a file just created beside it), so hosts whose clocks disagree do not
  break each other's live locks.
- A stale lock is broken under a short-lived `<key>.lock.break` mutex (itself O_EXCL): re-read, rename the
  lock away, check that what was renamed is the stale owner's record (else put it back), then create ours.
  So two runs that find the same dead owner never both take over.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from toolpast.io import create_temp_beside
from toolpast.pids import pid_alive, pid_space

DEFAULT_STALE_S = 300.0
_HELD: set[str] = set()  # tokens of the locks this process holds
POLL_FIRST_S, POLL_MAX_S = 0.05, 2.0  # waiting: poll the lock with a backoff from 50 ms up to 2 s
STATUS_EVERY_S = 30.0  # how often a waiting run says what it is waiting for


class StageLocked(RuntimeError):
    """Another live process is building the same stage artifact (a wait limit ran out, or this build's lock was
    taken over by another run)."""


def stale_after_s() -> float:
    """Seconds without a heartbeat after which a lock is stale: `TOOLPAST_LOCK_STALE_S`, default 300."""
    raw = os.environ.get("TOOLPAST_LOCK_STALE_S", "")
    try:
        value = float(raw) if raw.strip() else DEFAULT_STALE_S
    except ValueError:
        raise ValueError(f"TOOLPAST_LOCK_STALE_S={raw!r}: expected a number of seconds such as 300") from None
    if not value > 0:
        raise ValueError(f"TOOLPAST_LOCK_STALE_S={raw!r}: must be positive")
    return value


@dataclass(frozen=True)
class Owner:
    """Who holds a lock, as its file says (host '?' when the file could not be read)."""

    host: str
    pid: int
    started: float
    token: str
    pids: str = ""  # the owner's pid_space()

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}"


def read_owner(path: Path) -> Owner | None:
    """The lock's owner record; None when there is no lock."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError:
        raw = ""
    try:
        data = json.loads(raw)
        return Owner(str(data["host"]), int(data["pid"]), float(data["started"]), str(data["token"]),
                     str(data.get("pids", "")))
    except (ValueError, KeyError, TypeError):
        return Owner("?", 0, 0.0, f"unreadable:{raw[:64]}")


def fs_now(directory: Path) -> float:
    """The current time on the clock of the filesystem holding `directory` (an NFS server's, for one)."""
    fd, tmp = create_temp_beside(directory / ".clock")
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)


class StageLock:
    """The build lock of one stage key. `acquire()` waits for a live owner and breaks a stale one."""

    def __init__(self, path: Path, what: str, stale_s: float | None = None, wait_s: float | None = None,
                 on_wait: Callable[[str], None] | None = None):
        self.path, self.what = Path(path), what
        self.stale_s = stale_after_s() if stale_s is None else stale_s
        self.wait_s, self.on_wait = wait_s, on_wait or (lambda line: None)
        self.host, self.pids, self.token = platform.node(), pid_space(), ""
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.lost = False

    # -- taking and giving back ------------------------------------------------------------------------------
    def _try_create(self) -> bool:
        if os.path.lexists(self.path):  # the common case while waiting: no temp file to write
            return False
        record = json.dumps({"host": self.host, "pid": os.getpid(), "started": time.time(),
                             "token": secrets.token_hex(8), "pids": self.pids})
        fd, tmp = create_temp_beside(self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(record)
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                if os.stat(tmp).st_nlink != 2:  # (NFS can report EEXIST for a link it made: a retried request)
                    return False
            except OSError:  # no hard links here: O_EXCL (atomic on local filesystems and NFSv3+)
                try:
                    lock_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                except FileExistsError:
                    return False
                with os.fdopen(lock_fd, "w", encoding="utf-8") as handle:
                    handle.write(record)
        finally:
            tmp.unlink(missing_ok=True)
        self.token = json.loads(record)["token"]
        _HELD.add(self.token)
        return True

    def acquire(self) -> Owner | None:
        """Take the lock, waiting while a live run holds it; returns the owner waited for (None if none was)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        waited: Owner | None = None
        began, delay, said = time.monotonic(), POLL_FIRST_S, -STATUS_EVERY_S
        while not self._try_create():
            owner = read_owner(self.path)
            if owner is None:
                continue  # released between our attempt and the read
            why = self.stale_reason(owner)
            if why is not None:
                self._break(owner, why)
                continue
            waited = owner
            elapsed = time.monotonic() - began
            if self.wait_s is not None and elapsed >= self.wait_s:
                raise StageLocked(f"gave up after {elapsed:.0f}s waiting for {self.what} built by "
                                  f"{owner.describe()} (lock {self.path})")
            if elapsed - said >= STATUS_EVERY_S:
                self.on_wait(f"waiting for {self.what} built by {owner.describe()} "
                             f"({elapsed / 60:.0f} min so far)")
                said = elapsed
            time.sleep(delay)
            delay = min(delay * 1.5, POLL_MAX_S)
        self._stop.clear()
        self.lost = False
        self._beat = threading.Thread(target=self._heartbeat, name=f"lock {self.what}", daemon=True)
        self._beat.start()
        return waited

    def holds(self) -> bool:
        """Whether the lock file is still ours (a run that stalled past the stale timeout may have lost it)."""
        owner = read_owner(self.path)
        return owner is not None and bool(self.token) and owner.token == self.token

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
            self._beat = None
        if self.holds():
            self.path.unlink(missing_ok=True)
        _HELD.discard(self.token)
        self.token = ""

    def _heartbeat(self) -> None:
        every = min(30.0, self.stale_s / 5)
        while not self._stop.wait(every):
            if not self.holds():
                self.lost = True
                self.on_wait(f"warning: lost the lock of {self.what} to another run ({self.path})")
                return
            try:
                os.utime(self.path)
            except OSError:
                pass

    # -- staleness -------------------------------------------------------------------------------------------
    def _age(self, path: Path) -> float | None:
        """Seconds since `path` was last touched, on the filesystem's clock; None when it is gone."""
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if time.time() - mtime <= self.stale_s:  # our clock says fresh: no need to ask the filesystem's
            return time.time() - mtime
        return fs_now(path.parent) - mtime

    def stale_reason(self, owner: Owner) -> str | None:
        """Why the lock held by `owner` is stale, or None while it is live."""
        if owner.host == self.host and owner.pids == self.pids and owner.pid:
            if owner.pid == os.getpid() and owner.token not in _HELD:
                return "left by an earlier process with this pid"
            if owner.pid != os.getpid() and not pid_alive(owner.pid):
                return "its process is dead"
        age = self._age(self.path)
        if age is not None and age > self.stale_s:
            return f"no heartbeat for {age:.0f}s (> {self.stale_s:g}s, TOOLPAST_LOCK_STALE_S)"
        return None

    def _break(self, owner: Owner, why: str) -> None:
        """Remove the stale lock of `owner`, under the break mutex so that only one run does it."""
        mutex = self.path.with_name(self.path.name + ".break")
        try:
            os.close(os.open(mutex, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            age = self._age(mutex)  # held for milliseconds; one this old belongs to a breaker that died
            if age is not None and age > self.stale_s:
                mutex.unlink(missing_ok=True)
            time.sleep(POLL_FIRST_S)
            return
        try:
            current = read_owner(self.path)
            if current is None or current.token != owner.token:
                return  # released or already broken and retaken meanwhile
            aside = self.path.with_name(f"{self.path.name}.stale-{secrets.token_hex(4)}")
            try:
                os.rename(self.path, aside)
            except FileNotFoundError:
                return
            moved = read_owner(aside)
            if moved is None or moved.token != owner.token:  # its owner released and another run took it
                try:
                    os.link(aside, self.path)
                except OSError:
                    pass
            else:
                self.on_wait(f"warning: broke the stale lock of {self.what} held by {owner.describe()}: {why}")
            aside.unlink(missing_ok=True)
        finally:
            mutex.unlink(missing_ok=True)
