"""One writer at a time for a command's own resumable `--out` (`toolpast sft`, `toolpast rl`).

Their work lives in `<out>.partial` and a rerun resumes its checkpoints, so a second run on the same output would
resume the same checkpoints and write over the first's (two GRPO runs once shared one `rl.partial`). The store's
build lock (`stage_lock.StageLock`: NFS-safe, heartbeat, stale-owner recovery) guards `<out>.lock` here too, but a
second writer is refused at once instead of waiting: these outputs are named by hand, so a collision is a mistake
to report, not a build to share. Kept apart from stage_lock.py, which every stage's code digest covers.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

from toolpast.stage_lock import StageLock, StageLocked, read_owner


@contextlib.contextmanager
def exclusive_output(out: str | Path, command: str) -> Iterator[None]:
    """Hold `<out>.lock` while `command` writes `out`; a live owner's lock is an error naming its pid and host, a
    killed run's lock (dead pid, or no heartbeat) is broken. Only the main process of a launched run takes it
    (every rank works on main's partial directory)."""
    from toolpast import distributed

    if not distributed.is_main():
        yield
        return
    out = Path(out).absolute()
    lock = StageLock(out.with_name(out.name + ".lock"), f"{command} --out {out}", wait_s=0, on_wait=_say)
    try:
        lock.acquire()
    except StageLocked:
        owner = read_owner(lock.path)
        who = owner.describe() if owner is not None else "another run"
        raise StageLocked(f"{command} --out {out}: {who} is already writing it (lock {lock.path}); wait for it to "
                          "finish, or stop it and rerun this command to resume its work") from None
    try:
        yield
    finally:
        lock.release()


def _say(line: str) -> None:
    print(f"toolpast: {line}", file=sys.stderr)
