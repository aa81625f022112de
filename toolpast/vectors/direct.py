"""Output files written with O_DIRECT: from our own reused buffer straight to the disk, not through the page cache.

A buffered write copies every byte into freshly allocated page-cache pages. On a VM whose guest memory is
backed lazily (the machines this project runs on), first-touching those pages is what a multi-GB write costs:
`perf` showed half of an injection's CPU time in the kernel's copy into new page-cache folios. With O_DIRECT
the bytes go from one 8 MiB page-aligned staging buffer (touched once, reused) to the device, the output
does not evict the inputs from the page cache, and nothing is left dirty for the final fsync. O_DIRECT needs
block-aligned lengths, so the staging buffer is written only when full, and the tail is padded to a block
and the file truncated back to its true size. Where O_DIRECT is refused (tmpfs, some filesystems) the
caller falls back to ordinary buffered writes (`open_direct` returns None).
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path

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

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        n, done = view.nbytes, 0
        while done < n:
            take = min(n - done, len(self._buf) - self._fill)
            self._view[self._fill : self._fill + take] = view[done : done + take]
            self._fill += take
            done += take
            if self._fill == len(self._buf):
                self._write_staged(self._fill)
        self.size += n
        return n

    def _write_staged(self, nbytes: int) -> None:
        done = 0
        while done < nbytes:
            done += os.write(self.fd, self._view[done:nbytes])
        self._fill = 0

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
