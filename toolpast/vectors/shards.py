"""Streaming, sharded safetensors writer: holds one tensor at a time, never a whole shard.

A safetensors file is an 8-byte header length, a JSON header with every tensor's dtype, shape and byte range,
then the raw bytes. Every output of this module (vector = rl - sft, theta = model + lam * v, a LoRA's B @ A)
has names, shapes and dtypes known from the input headers before any arithmetic, so the shard layout and each
shard's header are planned up front and each tensor's bytes are appended as soon as it is computed. Peak memory
is the current tensor, not a shard (`safetensors.torch.save_file` would need the whole shard twice: the
tensors plus their serialized bytes); `write_raw` takes a tensor's bytes in chunks, so the streaming operations
hold only a chunk. Shards are named and indexed the HF way so `from_pretrained` loads them. With `digest=True`
the writer also hashes what it writes into the output's `weights_sha256` (the plan must then be in sorted-name
order, the digest's order), so the output's identity costs no second read.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolpast.io import AtomicFile, atomic_write_text
from toolpast.vectors.checkpoint import ITEMSIZE, st_code_of
from toolpast.vectors.digest import PREFIX, tensor_line
from toolpast.vectors.direct import BLOCK, DirectSink, open_direct
from toolpast.vectors.meter import ResidencyMeter
from toolpast.vectors.writeback import Writeback

if TYPE_CHECKING:
    import torch

DEFAULT_SHARD_MAX_BYTES = 5 * 10**9  # HF's classic max_shard_size="5GB"


@dataclass(frozen=True)
class PlannedTensor:
    name: str
    dtype: str  # safetensors dtype code, e.g. "F32"
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.dtype not in ITEMSIZE:
            raise ValueError(f"cannot write tensor {self.name!r} of dtype {self.dtype} to safetensors")

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return ITEMSIZE[self.dtype] * self.numel


@dataclass(frozen=True)
class ShardLayout:
    """Which tensors go to which file, in write order."""

    files: list[str]
    shards: list[list[PlannedTensor]]
    index_name: str | None  # None: a single file, no index

    @property
    def total_bytes(self) -> int:
        return sum(t.nbytes for s in self.shards for t in s)


def plan_shards(
    tensors: Sequence[PlannedTensor],
    max_bytes: int,
    *,
    stem: str,
    index_name: str,
    single_name: str | None = None,
) -> ShardLayout:
    """Greedy HF-style sharding: start a new shard when the next tensor would push this one past `max_bytes`.

    A tensor larger than `max_bytes` gets a shard of its own. With one shard and a `single_name`, the file is
    `single_name` and no index is written (HF's unsharded layout); otherwise `<stem>-0000i-of-0000n.safetensors`
    plus `index_name`.
    """
    if max_bytes <= 0:
        raise ValueError(f"shard_max_bytes must be positive, got {max_bytes}")
    names = [t.name for t in tensors]
    if len(set(names)) != len(names):
        raise ValueError("duplicate tensor names in shard plan")
    shards: list[list[PlannedTensor]] = [[]]
    size = 0
    for t in tensors:
        if shards[-1] and size + t.nbytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(t)
        size += t.nbytes
    if not shards[-1]:
        shards.pop()
    if len(shards) <= 1 and single_name is not None:
        return ShardLayout([single_name], shards or [[]], None)
    n = max(len(shards), 1)
    files = [f"{stem}-{i + 1:05d}-of-{n:05d}.safetensors" for i in range(n)]
    return ShardLayout(files, shards or [[]], index_name)


def _header_bytes(shard: list[PlannedTensor], metadata: dict[str, str]) -> bytes:
    header: dict[str, Any] = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for t in shard:
        header[t.name] = {
            "dtype": t.dtype,
            "shape": list(t.shape),
            "data_offsets": [offset, offset + t.nbytes],
        }
        offset += t.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    # the data section starts on a disk block (the format allows a header padded with spaces; the reference
    # writer pads to 8 bytes): block-sized tensors then sit on block boundaries, so O_DIRECT writes and reads
    # of them go straight between our buffers and the disk, with no copy through a staging buffer (direct.py)
    raw += b" " * (-(8 + len(raw)) % BLOCK)
    return len(raw).to_bytes(8, "little") + raw


class ShardedSafetensorsWriter:
    """Writes the tensors of a `ShardLayout`, strictly in plan order, one at a time (or chunk by chunk).

    Each shard file is written atomically (temp name, then rename) when its last tensor arrives; the index is
    written by `close`. `write` checks every tensor's dtype and shape against the plan, and `write_raw` that no
    tensor gets more bytes than planned, so a bug cannot silently produce a file whose header lies.
    """

    def __init__(
        self,
        directory: str | Path,
        layout: ShardLayout,
        *,
        metadata: dict[str, str] | None = None,
        index_metadata: dict[str, Any] | None = None,
        meter: ResidencyMeter | None = None,
        digest: bool = False,
        direct: bool = True,
    ) -> None:
        if sys.byteorder != "little":  # pragma: no cover
            raise RuntimeError("safetensors is little-endian; this writer copies raw host bytes")
        self.directory = Path(directory)
        self.layout = layout
        self.metadata = {"format": "pt", **(metadata or {})}
        self.index_metadata = index_metadata or {}
        self.meter = meter
        self.direct = direct  # O_DIRECT writes where possible (direct.py); False: buffered, with early writeback
        self.peak_held_bytes = 0  # largest tensor this writer had to hold (it holds one at a time)
        self.shards_written: list[str] = []
        self._order = [(i, t) for i, s in enumerate(layout.shards) for t in s]
        names = [t.name for _, t in self._order]
        if digest and names != sorted(names):
            raise ValueError("digest=True needs the plan in sorted-name order (the order weights_sha256 hashes)")
        self._hash = hashlib.sha256(PREFIX) if digest else None
        self._hash_pos = 0  # the digest's own place in the plan: `hash_raw` may run on another thread
        self._hash_done = 0
        self._pos = 0
        self._done = 0  # bytes of the current tensor written so far
        self._shard: AtomicFile | None = None  # the shard file being written
        self._direct: DirectSink | None = None  # its O_DIRECT writer, where the filesystem allows (direct.py)
        self._writeback: Writeback | None = None  # else its disk writes, started as it grows (writeback.py)
        self._shard_idx = -1
        self._closed = False

    @property
    def remaining(self) -> list[str]:
        return [t.name for _, t in self._order[self._pos :]]

    @property
    def sha256(self) -> str | None:
        """`weights_sha256` of everything written (with `digest=True`, once every planned tensor is written)."""
        if self._hash is None or self._pos != len(self._order) or self._hash_pos != len(self._order):
            return None
        return "sha256:" + self._hash.hexdigest()

    def _planned(self, name: str) -> tuple[int, PlannedTensor]:
        if self._pos >= len(self._order):
            raise ValueError(f"tensor {name!r} is not in the shard plan (all planned tensors already written)")
        shard_idx, planned = self._order[self._pos]
        if name != planned.name:
            raise ValueError(f"expected tensor {planned.name!r} next, got {name!r}")
        return shard_idx, planned

    def write(self, name: str, tensor: torch.Tensor) -> None:
        """Write one whole torch tensor (the next one in the plan)."""
        _, planned = self._planned(name)
        if self._done:
            raise ValueError(f"tensor {name!r} was already partly written with write_raw")
        code = st_code_of(tensor.dtype)
        if code != planned.dtype or tuple(tensor.shape) != planned.shape:
            raise ValueError(
                f"tensor {name!r}: planned {planned.dtype} {list(planned.shape)}, got {code} {list(tensor.shape)}"
            )
        if self.meter is not None:
            self.meter.track(tensor)
        self.peak_held_bytes = max(self.peak_held_bytes, planned.nbytes)
        t = tensor.detach()
        if t.device.type != "cpu":
            t = t.cpu()
        import torch

        data = t.contiguous().reshape(-1).view(torch.uint8).numpy() if planned.nbytes else b""
        del t
        self.write_raw(name, data)

    @property
    def hashing(self) -> bool:
        return self._hash is not None

    def hash_raw(self, name: str, data) -> None:
        """Feed `data` of tensor `name` to the output's digest, in plan order (its own, so that a caller can
        hash on one thread while `write_raw(..., hash=False)` writes the same bytes on another)."""
        if self._hash is None:
            return
        if self._hash_pos >= len(self._order) or self._order[self._hash_pos][1].name != name:
            raise ValueError(f"tensor {name!r} hashed out of plan order")
        planned = self._order[self._hash_pos][1]
        view = memoryview(data).cast("B")
        if self._hash_done + view.nbytes > planned.nbytes:
            raise ValueError(f"tensor {name!r}: more than its planned {planned.nbytes} bytes")
        if self._hash_done == 0:
            self._hash.update(tensor_line(planned.name, planned.dtype, planned.shape))
        self._hash.update(view)
        self._hash_done += view.nbytes
        if self._hash_done == planned.nbytes:
            self._hash_pos += 1
            self._hash_done = 0

    def write_raw(self, name: str, data, *, hash: bool = True) -> None:
        """Append `data` (a bytes-like object) to tensor `name`: the next in the plan, or the one in progress.

        The tensor is complete once it has its planned number of bytes; an empty tensor is complete on its
        first (empty) call. `hash=False` leaves the digest to the caller's own `hash_raw` calls.
        """
        shard_idx, planned = self._planned(name)
        view = memoryview(data).cast("B")
        if self._done + view.nbytes > planned.nbytes:
            raise ValueError(f"tensor {name!r}: more than its planned {planned.nbytes} bytes")
        if self._shard is None:
            self._start_shard(shard_idx)
        assert self._shard is not None
        if hash:
            self.hash_raw(name, view)
        if view.nbytes:
            self._emit(view)
        self._done += view.nbytes
        if self._done < planned.nbytes:
            return
        self._pos += 1
        self._done = 0
        if self._pos == len(self._order) or self._order[self._pos][0] != shard_idx:
            self._finish_shard()

    def _start_shard(self, shard_idx: int) -> None:
        self._shard = AtomicFile(self.directory / self.layout.files[shard_idx], "wb")
        self._shard_idx = shard_idx
        self._direct = open_direct(self._shard.tmp) if self.direct else None
        self._writeback = None if self._direct else Writeback(self._shard.file.fileno())
        self._emit(memoryview(_header_bytes(self.layout.shards[shard_idx], self.metadata)))

    def _emit(self, view: memoryview) -> None:
        if self._direct is not None:
            self._direct.write(view)
            return
        assert self._shard is not None and self._writeback is not None
        self._shard.file.write(view)
        self._writeback.wrote(view.nbytes)

    def _finish_shard(self) -> None:
        """Fsync and rename the current shard into place."""
        shard, self._shard = self._shard, None
        assert shard is not None
        direct, self._direct = self._direct, None
        if direct is not None:
            direct.close()
        shard.commit()
        self.shards_written.append(self.layout.files[self._shard_idx])

    def abort(self) -> None:
        """Drop the shard being written (its temp file is deleted)."""
        shard, self._shard = self._shard, None
        direct, self._direct = self._direct, None
        if direct is not None:
            direct.close(complete=False)
        if shard is not None:
            shard.discard()

    def close(self) -> dict[str, str]:
        """Check every planned tensor was written, write the index (if sharded); return the weight map."""
        if self._pos != len(self._order):
            raise ValueError(
                f"{len(self._order) - self._pos} planned tensors never written, first {self.remaining[0]!r}"
            )
        if not self._order and not self._closed:  # an empty plan still yields one (empty) file
            self._start_shard(0)
            self._finish_shard()
        self._closed = True
        weight_map = {t.name: self.layout.files[i] for i, t in self._order}
        if self.layout.index_name is not None:
            index = {
                "metadata": {**self.index_metadata, "total_size": self.layout.total_bytes},
                "weight_map": weight_map,
            }
            atomic_write_text(self.directory / self.layout.index_name, json.dumps(index, indent=2) + "\n")
        return weight_map

    def __enter__(self) -> ShardedSafetensorsWriter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.abort()
