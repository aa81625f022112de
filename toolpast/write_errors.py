"""A write that failed for a reason fixed outside toolpast, said in one line naming the output and the fix: a
read-only or unwritable place, or a full disk, which torch ("unexpected pos", "file write failed") and safetensors
("I/O error ... (os error 28)") report without ever saying "disk".

`io.staged_dir` and `io.AtomicFile` restate such a failure for the output they were writing (before they clean
up, while the disk is still as full as the write found it); `toolpast.cli.main` restates one raised anywhere else
for the file the OS names.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from toolpast.paths import toolpast_home

NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})
NOT_WRITABLE = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
NO_SPACE_TEXT = ("No space left on device", "os error 28", "StorageFull", "Disk quota exceeded")
# torch's zip writer loses the errno of a failed write: these say only that a write failed, so a full disk is
# told by the free space left where it was writing
TORCH_WRITE_TEXT = ("inline_container.cc", "PytorchStreamWriter", "file write failed", "iostream error")
LOW_SPACE_MIN = 64 * 2**20


class CannotWrite(OSError):
    """Writing `path` failed for a reason fixed outside toolpast; str() is the one line to print."""

    def __init__(self, code: int, path: str | Path | None, line: str):
        super().__init__(code, os.strerror(code), None if path is None else str(path))
        self.line = line

    def __str__(self) -> str:
        return self.line

    def __reduce__(self):  # rebuilt from the same arguments (ranks send each other their errors)
        return type(self), (self.errno, self.filename, self.line)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while error is not None and not any(error is e for e in seen):
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _absolute(path: str | Path) -> Path:
    return Path(os.path.abspath(os.fsdecode(path)))


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _nearly_full(where: Path) -> bool:
    """Whether the file system holding `where` (or its nearest existing parent) has almost no space left."""
    for path in (where, *where.parents):
        try:
            usage = shutil.disk_usage(path)
        except OSError:
            continue
        return usage.free < max(LOW_SPACE_MIN, usage.total // 100)
    return False


def _cause(error: BaseException, where: Path | None) -> tuple[int, str | None] | None:
    """(errno, file the OS named) when `error` or an error behind it is a full disk or an unwritable place."""
    for e in _chain(error):
        if isinstance(e, OSError) and e.errno in NO_SPACE | NOT_WRITABLE:
            return e.errno, e.filename
    text = " ".join(str(e) for e in _chain(error))
    if any(s in text for s in NO_SPACE_TEXT):
        return errno.ENOSPC, None
    if where is not None and any(s in text for s in TORCH_WRITE_TEXT) and _nearly_full(where):
        return errno.ENOSPC, None
    return None


def _line(code: int, path: Path | None) -> str:
    where = f"{path}: " if path is not None else ""
    home = path is not None and _under(path, _absolute(toolpast_home()))
    if code in NO_SPACE:
        elsewhere = "set TOOLPAST_HOME to a disk with room" if home else "write it to a disk with room"
        return f"{where}the disk is full ({os.strerror(code)}); free space there or {elsewhere}, and rerun"
    if code == errno.EROFS:
        fix = "set TOOLPAST_HOME to a writable directory" if home else "give a path on a writable file system"
        return f"{where}read-only file system; {fix}"
    fix = "set TOOLPAST_HOME to a directory you can write" if home else "give a path you can write"
    return f"{where}permission denied; {fix}"


def restate(error: BaseException, output: str | Path | None = None, work: str | Path | None = None
            ) -> CannotWrite | None:
    """`error` as a CannotWrite naming `output` (built in `work`) when writing it failed for a full disk or an
    unwritable place; None for any other error, and for one about a file that is not the output (an input that
    could not be read keeps its own message; a file written inside `work` is named as `output`). Without `output`:
    the file the OS named, if any."""
    if not isinstance(error, Exception):
        return None
    out = None if output is None else _absolute(output)
    found = _cause(error, _absolute(work) if work is not None else out)
    if found is None:
        return None
    code, named = found
    if code in NOT_WRITABLE - {errno.EROFS} and (out is None or named is None):
        return None  # permission denied on a file not known to be the output: maybe a read, its message names it
    if out is not None and named is not None:
        path = _absolute(named)
        ours = (_under(path, out) or path in out.parents or (work is not None and _under(path, _absolute(work)))
                or (path.parent == out.parent and path.name.startswith(f".{out.name}.")))  # AtomicFile's temp
        if not ours:
            return None
    path = out if out is not None else (None if named is None else _absolute(named))
    return CannotWrite(code, path, _line(code, path))


@contextlib.contextmanager
def writing(output: str | Path, work: str | Path | None = None) -> Iterator[None]:
    """Raise a failure to write `output` (built in `work`) as its CannotWrite line (see `restate`)."""
    try:
        yield
    except Exception as error:
        failure = restate(error, output, work)
        if failure is None or failure is error:
            raise
        raise failure from error
