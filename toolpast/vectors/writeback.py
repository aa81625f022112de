"""Start writing dirty pages to disk while a large file is still being written, so the final fsync is short.

Every output here is fsynced before it is renamed into place. Left alone, the kernel lets a multi-GB file
pile up as dirty page cache until a dirty-memory threshold, then stalls the writer (`balance_dirty_pages`)
until its flusher catches up, and the fsync at the end waits for whatever is left: measured on this project's
VM, a 2.6 GB vector sat at ~1.7 GB dirty for 5 s with nothing in writeback. `Writeback` asks the kernel to
start writing each range as soon as it is complete (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`, which
does not wait), so the disk works while the CPU computes. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

WRITEBACK_EVERY = 64 * 1024 * 1024  # bytes written between two writeback requests
_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        _sync_file_range = _libc.sync_file_range
        _sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        _sync_file_range.restype = ctypes.c_int
    except (OSError, AttributeError):  # pragma: no cover - a libc without it
        _sync_file_range = None


class Writeback:
    """Tracks bytes written to one file descriptor; every `every` bytes, starts writeback of the new range."""

    def __init__(self, fd: int, start: int = 0, every: int = WRITEBACK_EVERY) -> None:
        self.fd, self.every = fd, every
        self.flushed = start  # offset up to which writeback was requested
        self.written = start
        self.requests = 0

    def wrote(self, nbytes: int) -> None:
        self.written += nbytes
        if self.written - self.flushed >= self.every:
            self.flush()

    def flush(self) -> None:
        """Request writeback of everything written since the last request (returns at once)."""
        if _sync_file_range is not None and self.written > self.flushed:
            _sync_file_range(self.fd, self.flushed, self.written - self.flushed, _SYNC_FILE_RANGE_WRITE)
            self.requests += 1
        self.flushed = self.written
