"""Counts the tensor bytes that the streaming code holds at once.

The whole point of streaming is bounded memory at 7B scale; RSS is too noisy to test that, so the readers and
the shard writer register every tensor or buffer they hand out or hold here, and a weakref finalizer
un-registers it when the last reference goes. `peak_bytes` is then the most tensor data ever resident at one
time: a regression (say, a leaked reference that keeps the previous layer alive, or buffering a whole shard)
shows up as a higher peak.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, TypeVar

T = TypeVar("T")


def _nbytes(t: Any) -> int:
    """Bytes of a torch tensor (numel * element_size) or of anything with `nbytes` (numpy arrays)."""
    if hasattr(t, "element_size"):
        return t.numel() * t.element_size()
    return int(t.nbytes)


class ResidencyMeter:
    """Live and peak bytes of the tensors (or numpy buffers) passed to `track` (each counted once, until garbage)."""

    def __init__(self) -> None:
        self.current_bytes = 0
        self.peak_bytes = 0
        self.largest_tensor_bytes = 0
        self.tracked = 0
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def track(self, t: T) -> T:
        key = id(t)
        with self._lock:
            if key in self._ids:
                return t
            n = _nbytes(t)
            self._ids.add(key)
            self.current_bytes += n
            self.tracked += 1
            self.largest_tensor_bytes = max(self.largest_tensor_bytes, n)
            self.peak_bytes = max(self.peak_bytes, self.current_bytes)
        weakref.finalize(t, self._release, key, n)
        return t

    def _release(self, key: int, n: int) -> None:
        with self._lock:
            self._ids.discard(key)
            self.current_bytes -= n


def tracked(meter: ResidencyMeter | None, t: T) -> T:
    """`meter.track(t)` when metering, else a no-op; returns `t` so it can wrap an expression."""
    return meter.track(t) if meter is not None else t
