"""Atomic file writes: a reader never sees a half-written file, a killed writer leaves the old one intact.

Files get the mode the process umask gives any new file (0644 under the usual 022), like `open()` would: a shared
`$TOOLPAST_HOME` or a published leaderboard stays readable by whom the user's umask allows. (`tempfile.mkstemp`
would make every output 0600.)
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any


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


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temp_beside(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, payload: Any) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=False) + "\n")


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
