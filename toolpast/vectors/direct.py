"""Output files written with O_DIRECT: from our own reused buffer straight to the disk, not through the page cache.

A buffered write copies every byte into freshly allocated page-cache pages. On a VM whose guest memory is
backed lazily (the machines this project runs on), first-touching those pages is what a multi-GB write costs:
`perf` showed half of an injection's CPU time in the kernel's copy into new page-cache folios. With O_DIRECT
the bytes go from one 8 MiB page-aligned staging buffer (touched once, reused) to the device, the output
does not evict the inputs from the page cache, and nothing is left dirty for the final fsync. O_DIRECT needs
block-aligned buffers, lengths and file offsets: bytes handed over in a block-aligned buffer at a block-aligned
file position (the streaming ring's buffers are aligned, and shard data starts on a block: `shards.py`) are
written straight from that buffer; anything else goes through the staging buffer, which is written when full,
and the tail is padded to a block and the file truncated back to its true size. Where O_DIRECT is refused
(tmpfs, some filesystems) the caller falls back to ordinary buffered writes (`open_direct` returns None).
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BLOCK = 4096  # alignment that satisfies 512-byte and 4 KiB logical blocks
STAGING_BYTES = 8 * 1024 * 1024


class DirectSink:
    """Appends bytes to an (empty) file through an aligned staging buffer, with O_DIRECT writes."""

    def __init__(self, fd: int, staging_bytes: int = STAGING_BYTES) -> None:
        self.fd = fd
        self._buf = mmap.mmap(-1, staging_bytes)  # anonymous mappings are page aligned
        self._view = memoryview(self._buf)
        self._fill = 0
        self.size = 0
        self.staged_bytes = 0  # bytes that had to be copied through the staging buffer

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        n, done = view.nbytes, 0
        if self._fill % BLOCK == 0 and n >= BLOCK and is_aligned(view):
            # block-aligned bytes at a block-aligned file position: from the caller's buffer to the disk, uncopied
            if self._fill:
                self._write_staged(self._fill)
            done = n - n % BLOCK
            self._write_view(view[:done])
        while done < n:
            take = min(n - done, len(self._buf) - self._fill)
            self._view[self._fill : self._fill + take] = view[done : done + take]
            self._fill += take
            self.staged_bytes += take
            done += take
            if self._fill == len(self._buf):
                self._write_staged(self._fill)
        self.size += n
        return n

    def _write_staged(self, nbytes: int) -> None:
        self._write_view(self._view[:nbytes])
        self._fill = 0

    def _write_view(self, view: memoryview) -> None:
        done = 0
        while done < view.nbytes:
            done += os.write(self.fd, view[done:])

    def close(self, *, complete: bool = True) -> None:
        """Write the tail (padded to a block, then truncated off) unless abandoning; release the buffer and fd."""
        try:
            if complete and self._fill:
                padded = -(-self._fill // BLOCK) * BLOCK
                self._view[self._fill : padded] = bytes(padded - self._fill)
                self._write_staged(padded)
                os.ftruncate(self.fd, self.size)
        finally:
            self._view.release()
            self._buf.close()
            os.close(self.fd)


def is_aligned(view: memoryview) -> bool:
    """Whether a writable, contiguous buffer starts on a block boundary (O_DIRECT's requirement on the memory
    side). A read-only one (a bytes object) counts as unaligned: it is staged. Needs no numpy (the floor)."""
    if view.readonly or not view.contiguous or not view.nbytes:
        return False
    return ctypes.addressof(ctypes.c_char.from_buffer(view)) % BLOCK == 0


def aligned_empty(nbytes: int) -> np.ndarray:
    """An uninitialised uint8 array of `nbytes` starting on a block boundary (a view into a slightly larger one)."""
    import numpy as np

    raw = np.empty(nbytes + BLOCK, dtype=np.uint8)
    start = -raw.ctypes.data % BLOCK
    return raw[start : start + nbytes]


def open_direct(path: str | Path, staging_bytes: int = STAGING_BYTES) -> DirectSink | None:
    """A DirectSink appending to the existing empty file `path`, or None where O_DIRECT is not available."""
    flag = getattr(os, "O_DIRECT", 0)
    if not flag:
        return None
    try:
        fd = os.open(path, os.O_WRONLY | flag)
    except OSError:
        return None
    sink = DirectSink(fd, staging_bytes)
    try:  # some filesystems accept the flag at open and refuse the first write: probe with one block
        os.write(fd, memoryview(sink._buf)[:BLOCK])
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
    except OSError:
        with contextlib.suppress(OSError):
            sink.close(complete=False)
        return None
    return sink
