"""Crash-safe writes: a file or a directory either appears complete under its final name or not at all.

Every file goes to a temp name in the same directory and is `os.replace`d into place after fsync; a whole
output directory is built as `<out>.partial-<pid>` and renamed to `<out>` only when everything in it is
written. A killed run therefore leaves at most a `.partial-<pid>` dir, never something that looks finished.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from toolpast.io import atomic_write_text  # noqa: F401 - one implementation, re-exported for this package


def _fsync_dir(path: Path) -> None:
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

    As a context manager it commits on a clean exit and discards on an exception.
    """

    def __init__(self, path: str | Path, mode: str = "wb") -> None:
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.file: IO = open(self.tmp, mode)

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.tmp)

    def __enter__(self) -> IO:
        return self.file

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()


atomic_open = AtomicFile


def atomic_copy(src: str | Path, dst: str | Path) -> None:
    with open(src, "rb") as fin, atomic_open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 8 * 1024 * 1024)
    stat = os.stat(src)  # times only: the copy's mode is the umask's, not a 0600 left by the source's writer
    os.utime(dst, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def partial_dir_for(final: Path) -> Path:
    return final.with_name(f"{final.name}.partial-{os.getpid()}")


@contextlib.contextmanager
def staged_dir(final: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield an empty `<final>.partial-<pid>` dir to fill; rename it to `final` only if the block succeeds.

    On an exception the partial dir is removed. `final` must not exist unless `overwrite`, in which case the
    old dir is swapped out only after the new one is complete.
    """
    final = Path(final).absolute()
    if final.exists() and not overwrite:
        raise FileExistsError(f"{final} already exists (pass overwrite=True to replace it)")
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_dir_for(final)
    if partial.exists():  # left by an earlier crashed run that had our pid
        shutil.rmtree(partial)
    partial.mkdir()
    try:
        yield partial
        _fsync_dir(partial)
        if final.exists():
            old = final.with_name(f"{final.name}.replaced-{os.getpid()}")
            os.replace(final, old)
            os.replace(partial, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(partial, final)
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
