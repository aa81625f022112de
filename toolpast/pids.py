"""Whether a process id still names a running process here: what tells a dead writer's leftovers (a build lock,
an `<out>.partial-<pid>` directory) from a live writer's work."""

from __future__ import annotations

import os
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether process `pid` of this pid namespace is running (a zombie, exited but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def pid_space() -> str:
    """Where a pid names one process: this boot of this kernel and this pid namespace (Linux; else empty)."""
    parts = []
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        return ""
    return " ".join(parts)
