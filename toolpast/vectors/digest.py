"""`weights_sha256` of an input, computed from the bytes the streaming operation reads anyway.

The digest (see `toolpast.vectors.checkpoint.weights_sha256`) hashes the tensors in sorted-name order, each as a
`[name, dtype, shape]` line and then its raw bytes. extract and inject process tensors in that same order, so
the hash is fed chunk by chunk from the buffers they read: provenance costs hashing, not a second read of the
model. A tensor the operation does not read, or reads out of that order (a tied alias), is hashed by a
catch-up read of just that tensor. A digest already recorded beside the weights (`.weights_sha256.json`,
valid while every weight file is the one it was taken from: see `toolpast.models.identity`) is reused and
nothing is hashed; one computed here is recorded there by the caller (`stream.Source`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from toolpast.models.identity import cached_weights_sha256
from toolpast.vectors.checkpoint import Checkpoint, TensorInfo
from toolpast.vectors.rawio import RawReader

PREFIX = b"toolpast-weights-v1\n"
_CATCH_UP_BYTES = 8 * 1024 * 1024


def tensor_line(name: str, dtype: str, shape: tuple[int, ...] | list[int]) -> bytes:
    return json.dumps([name, dtype, list(shape)]).encode() + b"\n"


def known_sha256(directory: str | Path, recorded: str | None = None) -> str | None:
    """A digest of `directory`'s weights that needs no hashing: the stamp-checked cache beside them, if valid.

    `recorded` (e.g. a manifest's own record) is used only when the cache agrees with it, so a dir whose files
    changed after the record was written is hashed again.
    """
    cached = cached_weights_sha256(Path(directory))
    if cached is None or (recorded is not None and recorded != cached):
        return None
    return cached


class SourceDigest:
    """The running `weights_sha256` of one checkpoint, fed by `on_read` as its tensors are read in order.

    `known` skips all hashing (the digest is already known); so does `enabled=False` (the digest is then None).
    Call `finish` after the last read.
    """

    def __init__(self, ckpt: Checkpoint, reader: RawReader, known: str | None = None, *, enabled: bool = True) -> None:
        self.ckpt, self.reader, self.known = ckpt, reader, known
        self._order = sorted(ckpt.tensors)
        self._rank = {n: i for i, n in enumerate(self._order)}
        self._pos = 0  # index in _order of the tensor being hashed
        self._done = 0  # bytes of it hashed so far
        self._h = hashlib.sha256(PREFIX) if enabled and known is None else None
        self.catch_up_bytes = 0  # bytes hashed by extra reads (tensors the operation skipped)

    def on_read(self, info: TensorInfo, offset: int, data: np.ndarray) -> None:
        """Bytes `data` of tensor `info` at `offset` were just read: hash them if they are next in digest order."""
        if self._h is None:
            return
        rank = self._rank[info.name]
        if rank > self._pos or (rank == self._pos and offset > self._done):
            self._catch_up(rank, offset)
        if rank == self._pos and offset == self._done:
            self._feed(info, data)

    def _feed(self, info: TensorInfo, data: np.ndarray) -> None:
        assert self._h is not None
        if self._done == 0:
            self._h.update(tensor_line(info.name, info.dtype, info.shape))
        self._h.update(memoryview(data).cast("B"))
        self._done += data.nbytes
        while self._pos < len(self._order) and self._done == self.ckpt.tensors[self._order[self._pos]].nbytes:
            self._pos += 1
            self._done = 0
            if self._pos < len(self._order) and self.ckpt.tensors[self._order[self._pos]].nbytes == 0:
                self._h.update(tensor_line(*self._line_of(self._pos)))  # an empty tensor is only its line

    def _line_of(self, pos: int) -> tuple[str, str, tuple[int, ...]]:
        info = self.ckpt.tensors[self._order[pos]]
        return info.name, info.dtype, info.shape

    def _catch_up(self, rank: int, offset: int) -> None:
        """Hash, with extra reads, everything before byte `offset` of the tensor of rank `rank`."""
        buf = None
        while self._pos < rank or (self._pos == rank and self._done < offset):
            info = self.ckpt.tensors[self._order[self._pos]]
            end = info.nbytes if self._pos < rank else offset
            if info.nbytes == 0:
                if self._done == 0:
                    self._h.update(tensor_line(info.name, info.dtype, info.shape))
                self._pos += 1
                continue
            if buf is None:
                buf = np.empty(_CATCH_UP_BYTES, dtype=np.uint8)
            n = min(_CATCH_UP_BYTES, end - self._done)
            data = self.reader.read(info, self._done, buf[:n])
            self.catch_up_bytes += n
            self._feed(info, data)

    def finish(self) -> str | None:
        """The digest, after hashing whatever the operation never read; None if hashing was skipped."""
        if self.known is not None:
            return self.known
        if self._h is None:
            return None
        self._catch_up(len(self._order), 0)
        return "sha256:" + self._h.hexdigest()

