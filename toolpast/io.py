"""Atomic output: a reader sees a file or a directory complete under its final name or not at all, and a killed
writer leaves the old one intact.

Every file goes to a temp name in its own directory and is `os.replace`d into place after fsync; a whole output
directory is built in a partial directory beside it and renamed into place when everything in it is written
(`staged_dir`). Files get the mode the process umask gives any new file (0644 under the usual 022), like `open()`
would: a shared `$TOOLPAST_HOME` or a published leaderboard stays readable by whom the user's umask allows.
(`tempfile.mkstemp` would make every output 0600.) A write that fails for a full disk or a read-only place is
raised as one line naming the output (`toolpast.write_errors`).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from toolpast.pids import pid_alive
from toolpast.write_errors import restate, writing


def create_temp_beside(path: Path) -> tuple[int, Path]:
    """An open descriptor on a new, uniquely named temp file next to `path`, created with mode 0666 minus the
    umask (O_EXCL: never an existing file or a planted symlink)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def fsync_dir(path: Path) -> None:
    """Make the names in `path` durable (a rename is only on disk once its directory is synced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A temp file next to `path`; `commit` fsyncs it and renames it onto `path`, `discard` deletes it.

    As a context manager it yields the open file, commits on a clean exit and discards on an exception.
    """

    def __init__(self, path: str | Path, mode: str = "wb") -> None:
        self.path = Path(path)
        with writing(self.path):
            fd, self.tmp = create_temp_beside(self.path)
        self.file: IO = os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"}))

    def commit(self) -> None:
        with writing(self.path):
            try:
                self.file.flush()
                os.fsync(self.file.fileno())
                self.file.close()
                os.replace(self.tmp, self.path)
            except BaseException:
                self.discard()
                raise

    def discard(self) -> None:
        self.file.close()
        self.tmp.unlink(missing_ok=True)

    def __enter__(self) -> IO:
        return self.file

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            self.commit()
            return
        failure = restate(exc, self.path)  # before the temp file goes: the disk as full as the write found it
        self.discard()
        if failure is not None and failure is not exc:
            raise failure from exc


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
    with AtomicFile(path, "w") as handle:
        handle.write(text)


def atomic_write_json(path: Path, payload: Any) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def atomic_copy(src: str | Path, dst: str | Path) -> None:
    with open(src, "rb") as fin, AtomicFile(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 8 * 1024 * 1024)
    stat = os.stat(src)  # times only: the copy's mode is the umask's, not a 0600 left by the source's writer
    os.utime(dst, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def process_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux), else set and restored."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def apply_umask(directory: Path) -> None:
    """Give every file under `directory` the mode the umask gives new files (keeping executable bits): libraries
    that write through mkstemp (safetensors, for one) leave 0600 files whatever the umask."""
    mask = process_umask()
    for root, _, names in os.walk(directory):
        for name in names:
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            mode = path.stat().st_mode & 0o777
            wanted = (0o777 if mode & 0o111 else 0o666) & ~mask
            if mode != wanted:
                os.chmod(path, wanted)


def partial_dir(final: Path, resumable: bool = False) -> Path:
    """Where `staged_dir` builds `final`: `<final>.partial` when a killed run's work is resumed from it, else a
    fresh `<final>.partial-<pid>` of this process."""
    return final.with_name(f"{final.name}.partial" if resumable else f"{final.name}.partial-{os.getpid()}")


def remove_dead_partials(final: Path) -> None:
    """Remove the `<final>.partial-<pid>` directories of processes that died on this host (a kill leaves them;
    nothing else would ever remove them). A live pid's directory is kept: it may be a concurrent writer's. (Over a
    shared filesystem a pid names a process of this host only; two hosts writing one output conflict anyway:
    only one of them can publish it.)"""
    for path in final.parent.glob(f"{glob.escape(final.name)}.partial-*"):
        pid = path.name.rpartition("-")[2]
        if pid.isdigit() and not path.is_symlink() and path.is_dir() and (
                int(pid) == os.getpid() or not pid_alive(int(pid))):  # ours: left by an earlier run with our pid
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def staged_dir(final: str | Path, *, overwrite: bool = False, resumable: bool = False,
               scratch: frozenset[str] = frozenset(), first_wins: bool = False) -> Iterator[Path]:
    """Yield the partial dir of `final` to fill; publish it as `final` only if the block succeeds.

    Fresh (default): the partial dir starts empty and an exception removes it (a killed writer's is removed by the
    next write of the same output: `remove_dead_partials`). Resumable: it is kept across
    runs (a stage or a training run finds its checkpoints there after a kill) and an exception removes it only
    when it holds nothing but the `scratch` names (no work to resume). `final` must not exist unless `overwrite`;
    an old one is swapped out only after the new one is complete. Published files get the umask's modes.
    first_wins: several processes may build the same content at once (a cached model conversion); if another one
    published `final` while this one was building, keep theirs and drop this build.
    """
    final = Path(final).absolute()
    if final.exists() and not (overwrite or first_wins):
        raise FileExistsError(f"{final} already exists (pass overwrite=True to replace it)")
    partial = partial_dir(final, resumable)
    with writing(final, partial):
        if not resumable:
            remove_dead_partials(final)
        partial.mkdir(parents=True, exist_ok=resumable)
    try:
        yield partial
    except BaseException as error:
        failure = restate(error, final, partial)  # before the cleanup: the disk as full as the write found it
        if not resumable or _holds_only(partial, scratch):
            shutil.rmtree(partial, ignore_errors=True)
        if failure is not None and failure is not error:
            raise failure from error
        raise
    with writing(final, partial):
        try:
            apply_umask(partial)  # some writers (safetensors, save_pretrained) create 0600 files whatever the umask
            fsync_dir(partial)
            if first_wins and final.exists():
                shutil.rmtree(partial, ignore_errors=True)
                return
            if final.exists() or final.is_symlink():
                old = final.with_name(f"{final.name}.replaced-{os.getpid()}")
                shutil.rmtree(old, ignore_errors=True)  # left by an earlier crashed run that had our pid
                os.replace(final, old)
                os.replace(partial, final)
                if old.is_dir() and not old.is_symlink():
                    shutil.rmtree(old, ignore_errors=True)
                else:
                    old.unlink(missing_ok=True)
            else:
                os.replace(partial, final)
            fsync_dir(final.parent)
        except BaseException:
            if not resumable:
                shutil.rmtree(partial, ignore_errors=True)
            raise


def _holds_only(directory: Path, names: frozenset[str]) -> bool:
    try:
        return all(path.name in names for path in directory.iterdir())
    except OSError:
        return False
