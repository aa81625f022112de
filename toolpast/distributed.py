"""Several processes of one run (`accelerate launch` / `torchrun`): who is main, and how the ranks agree.

Rank and world size come from the environment both launchers set (RANK, WORLD_SIZE, LOCAL_RANK), so a plain
`toolpast run` is one process and every helper here is a no-op that creates no process group. Under a launcher,
the first helper that needs the other ranks creates torch's default process group (gloo on CPU, NCCL on GPUs;
accelerate and TRL find it and reuse it) and, for toolpast's own messages, a separate gloo group: decisions and
outcome rows are small Python objects, and a gloo group lets ranks wait on the CPU, without holding a GPU
collective open, while main builds a main-only stage (a 7B skill vector takes minutes). Both groups wait
TOOLPAST_DIST_TIMEOUT_S seconds (default 6 hours) before giving up on a rank: long enough for any main-only
stage, short enough that a lost rank still ends the run.

Who does what (stages.runner.Runner): main decides reuse and is the only rank that takes the store's lock or writes in
the store; training stages are collective (every rank runs TRL's trainer on main's `.partial` directory, and only
main writes toolpast's own files there), evaluation is sharded (`shard`, outcomes `gather`ed to main), the vector,
injection and orthogonality stages run on main while the others wait. A failure on main is `broadcast` so the
others stop with it instead of waiting for the timeout (`MainProcessFailed`).
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
TIMEOUT_ENV = "TOOLPAST_DIST_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 6 * 3600
ERROR_WAIT_S = 60  # how long main waits to tell the others about its failure before exiting anyway

_control = None  # toolpast's gloo group, created on first use


class MainProcessFailed(RuntimeError):
    """The main process failed (its one-line error is the message); this rank stops with it."""


def device_kind() -> str:
    """Where this process trains and evaluates: "cuda" when a GPU is visible, else "cpu"."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def world_size() -> int:
    """Processes of this run: WORLD_SIZE as `accelerate launch` / torchrun set it, else 1."""
    return max(1, _env_int("WORLD_SIZE", 1))


def rank() -> int:
    """This process's global rank (0 = main); 0 without a launcher."""
    return _env_int("RANK", 0) if world_size() > 1 else 0


def is_main() -> bool:
    return rank() == 0


def active() -> bool:
    """Whether this run has several processes (else every helper below is a no-op)."""
    return world_size() > 1


def timeout() -> dt.timedelta:
    seconds = _env_int(TIMEOUT_ENV, DEFAULT_TIMEOUT_S)
    if seconds <= 0:
        raise ValueError(f"{TIMEOUT_ENV}={os.environ.get(TIMEOUT_ENV)!r}: give a positive number of seconds")
    return dt.timedelta(seconds=seconds)


def _group():
    """toolpast's control group (gloo), creating the default group first when no one has yet."""
    global _control
    if _control is None:
        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            gpu = torch.cuda.is_available() and os.environ.get("ACCELERATE_USE_CPU", "").lower() not in ("1", "true")
            if gpu:
                torch.cuda.set_device(_env_int("LOCAL_RANK", 0))
            dist.init_process_group(backend="nccl" if gpu else "gloo", timeout=timeout())
        _control = dist.new_group(backend="gloo", timeout=timeout())
    return _control


def barrier() -> None:
    """Every rank waits here until all have arrived."""
    if active():
        import torch.distributed as dist

        dist.barrier(group=_group())


def broadcast(value: Any = None, wait_s: float | None = None) -> Any:
    """Main's `value`, on every rank (the others' argument is ignored). With `wait_s`, main gives up after that
    many seconds instead of the group's timeout (its error path: the others may be stuck elsewhere)."""
    if not active():
        return value
    import torch
    import torch.distributed as dist

    group = _group()
    payload = pickle.dumps(value) if is_main() else b""
    size = torch.tensor([len(payload)], dtype=torch.int64)
    limit = None if wait_s is None else dt.timedelta(seconds=wait_s)

    def run(tensor):
        work = dist.broadcast(tensor, src=0, group=group, async_op=True)
        if limit is None:
            work.wait()
        else:
            work.wait(timeout=limit)

    run(size)
    data = (torch.frombuffer(bytearray(payload), dtype=torch.uint8) if is_main()
            else torch.empty(int(size.item()), dtype=torch.uint8))
    run(data)
    return value if is_main() else pickle.loads(data.numpy().tobytes())


def gather(value: Any) -> list[Any] | None:
    """Every rank's `value`, in rank order, on main; None on the other ranks."""
    if not active():
        return [value]
    import torch.distributed as dist

    out = [None] * world_size() if is_main() else None
    dist.gather_object(value, out, dst=0, group=_group())
    return out


def shard(items: Sequence[T]) -> list[T]:
    """This rank's share of `items`, dealt round-robin (item i goes to rank i % world size)."""
    return list(items[rank()::world_size()])


def on_main(fn: Callable[[], T]) -> T:
    """Run `fn` on main only and hand its (picklable) result to every rank; main's error, if any, is raised on
    every rank (the others raise MainProcessFailed with its message)."""
    if not active():
        return fn()
    if is_main():
        try:
            result = fn()
        except BaseException as error:
            fail(error)
            raise
        broadcast(("ok", result))
        return result
    return received(broadcast())


def fail(error: BaseException) -> None:
    """On main: tell the ranks waiting in a `broadcast` that main failed with `error` (best effort, bounded wait)."""
    try:
        broadcast(("error", f"main process failed: {error or type(error).__name__}"), wait_s=ERROR_WAIT_S)
    except Exception:  # noqa: BLE001 - the others are gone or stuck: the launcher ends them when main exits
        pass


def received(message: tuple) -> Any:
    """The value of an ("ok", value) message from main; MainProcessFailed for an ("error", text) one."""
    status, value = message
    if status == "error":
        raise MainProcessFailed(value)
    return value


def shutdown() -> None:
    """Tear the process groups down at the end of a command (torch warns about a group left open)."""
    global _control
    if not active():
        return
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()
    _control = None
