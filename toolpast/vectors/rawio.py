"""Byte ranges of a checkpoint's tensors, read with `pread` into buffers the caller reuses.

The streaming operations read every input byte exactly once, in chunks, into a few preallocated buffers:
no mmap page faults, no fresh allocation per tensor (first-touching a new 250 MB tensor costs more than
reading it from the page cache), and no copy-on-write pages that count towards RSS. One file descriptor per
shard, opened on first use; `pread` takes the offset, so reads from several threads never share a file
position.

`direct=True` reads with O_DIRECT, from the disk into an aligned staging buffer, bypassing the page cache: for
files that are not in it anyway (a vector written with O_DIRECT, see `direct.py`), this skips allocating and
filling page-cache pages that nobody will read again. A block-aligned range into a block-aligned buffer is
read straight into it; otherwise the range is widened to whole blocks in a staging buffer and the wanted bytes
copied out. A filesystem that refuses O_DIRECT gets ordinary reads.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import numpy as np

from toolpast.vectors.checkpoint import Checkpoint, TensorInfo
from toolpast.vectors.direct import BLOCK
from toolpast.vectors.errors import CheckpointFormatError


class RawReader:
    """`read(info, offset, out)`: fill `out` (a uint8 array) with bytes of one tensor, from `offset` on."""

    def __init__(self, ckpt: Checkpoint, *, direct: bool = False) -> None:
        self.ckpt = ckpt
        self.direct = direct and bool(getattr(os, "O_DIRECT", 0))
        self._fds: dict[Path, tuple[int, bool]] = {}  # path -> (fd, opened with O_DIRECT)
        self._staging: mmap.mmap | None = None
        self.staged_bytes = 0  # O_DIRECT bytes that had to be copied out of the staging buffer

    def _fd(self, path: Path) -> tuple[int, bool]:
        entry = self._fds.get(path)
        if entry is None:
            entry = None
            if self.direct:
                try:
                    entry = (os.open(path, os.O_RDONLY | os.O_DIRECT), True)
                except OSError:
                    entry = None
            if entry is None:
                entry = (os.open(path, os.O_RDONLY), False)
            self._fds[path] = entry
        return entry

    def read(self, info: TensorInfo, offset: int, out: np.ndarray) -> np.ndarray:
        want = out.nbytes
        if offset + want > info.nbytes:
            raise ValueError(f"read past the end of tensor {info.name!r}")
        fd, direct = self._fd(info.file)
        if direct:
            try:
                return self._read_direct(fd, info, offset, out)
            except OSError:  # accepted at open, refused at read: read this file the ordinary way from now on
                os.close(fd)
                self._fds[info.file] = (os.open(info.file, os.O_RDONLY), False)
                fd = self._fds[info.file][0]
        self._pread(fd, memoryview(out).cast("B"), info.begin + offset, info)
        return out

    @staticmethod
    def _pread(fd: int, view: memoryview, position: int, info: TensorInfo) -> int:
        done = 0
        while done < view.nbytes:
            got = os.preadv(fd, [view[done:]], position + done)
            if got <= 0:
                break
            done += got
        if done < view.nbytes:
            raise CheckpointFormatError(f"{info.file} is truncated inside tensor {info.name!r}")
        return done

    def _read_direct(self, fd: int, info: TensorInfo, offset: int, out: np.ndarray) -> np.ndarray:
        start = info.begin + offset
        lead = start % BLOCK
        if lead == 0 and out.nbytes % BLOCK == 0 and out.ctypes.data % BLOCK == 0:
            self._pread(fd, memoryview(out).cast("B"), start, info)  # aligned on both sides: straight into `out`
            return out
        span = -(-(lead + out.nbytes) // BLOCK) * BLOCK
        if self._staging is None or len(self._staging) < span:
            if self._staging is not None:
                self._staging.close()
            self._staging = mmap.mmap(-1, max(span, 4 * 1024 * 1024 + 2 * BLOCK))  # page aligned
        view = memoryview(self._staging)
        try:
            got, done = 0, 0
            while done < lead + out.nbytes:
                got = os.preadv(fd, [view[done:span]], start - lead + done)
                if got <= 0:
                    raise CheckpointFormatError(f"{info.file} is truncated inside tensor {info.name!r}")
                done += got
            memoryview(out).cast("B")[:] = view[lead : lead + out.nbytes]
            self.staged_bytes += out.nbytes
        finally:
            view.release()
        return out

    def close(self) -> None:
        fds, self._fds = self._fds, {}
        for fd, _ in fds.values():
            os.close(fd)
        if self._staging is not None:
            self._staging.close()
            self._staging = None
