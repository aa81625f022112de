"""The streaming engine under extract and inject: every output tensor is computed chunk by chunk from chunks of its
inputs, with the reads, the arithmetic and the writes overlapped.

An elementwise operation over checkpoints is bounded below by reading each input once and writing the output
once. This engine does only that: each input is read once (its digest hashed from the same bytes, see
`digest.py`), each output byte is written once (and hashed, with `digest=True` on the writer). Every input
checkpoint has a reader thread, the output a writer thread (and a hashing thread when its digest is wanted:
the writer blocks on the disk, the hash need not wait for it), and the arithmetic runs in the calling thread on
float32 views (numpy, which releases the GIL), so on a multi-core machine reading, hashing, computing and
writing proceed at once. All buffers come from a fixed ring (`depth_read + depth_write + 1` slots of
`chunk_elems` values per input and output), allocated once and reused: memory is a few chunks whatever the
size of the model or of its largest tensor, and no tensor-sized allocation is ever page-faulted in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from toolpast.models.identity import record_weights_sha256, weights_stamp
from toolpast.vectors.checkpoint import ITEMSIZE, Checkpoint, TensorInfo
from toolpast.vectors.codec import decode
from toolpast.vectors.digest import SourceDigest
from toolpast.vectors.direct import aligned_empty
from toolpast.vectors.meter import ResidencyMeter, tracked
from toolpast.vectors.rawio import RawReader
from toolpast.vectors.shards import ShardedSafetensorsWriter

CHUNK_ELEMS = 1 << 20  # 4 MiB of float32 per buffer: large enough that per-chunk overhead is noise
DEPTH_READ = 2  # chunks read ahead of the one being computed
DEPTH_WRITE = 2  # computed chunks queued for the writer


class Source:
    """One input checkpoint: raw reads on its own thread (so they stay in order for its digest) and its digest.

    `hash=False` skips the digest (`finish` then returns None); `known` is a digest already recorded, so
    nothing is hashed and `finish` returns it. A digest computed here is recorded beside the weights
    (`toolpast.models.identity`), stamped as the files were before the first read, so the next operation on
    this model reuses it instead of hashing it again. `direct` reads around the page cache (see `rawio.py`).
    """

    def __init__(
        self, label: str, ckpt: Checkpoint, *, hash: bool = True, known: str | None = None, direct: bool = False
    ) -> None:
        self.label, self.ckpt = label, ckpt
        self.reader = RawReader(ckpt, direct=direct)
        self.digest = SourceDigest(ckpt, self.reader, known, enabled=hash)
        self._stamp = weights_stamp(ckpt.path) if hash and known is None else None
        self._pool: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"read-{self.label}")
        return self._pool

    def read(self, info: TensorInfo, offset: int, out: np.ndarray) -> np.ndarray:
        data = self.reader.read(info, offset, out)
        self.digest.on_read(info, offset, data)
        return data

    def finish(self) -> str | None:
        value = self.digest.finish()
        if value is not None and self._stamp is not None:
            record_weights_sha256(self.ckpt.path, value, self._stamp)
        return value

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self.reader.close()


@dataclass(frozen=True)
class Input:
    source: Source
    name: str

    @property
    def info(self) -> TensorInfo:
        return self.source.ckpt.info(self.name)


class Kernel(Protocol):
    """The arithmetic of one operation, called in tensor order and, within a tensor, in chunk order."""

    def chunk(self, job: Job, values: list[np.ndarray], out: np.ndarray, scratch: Scratch) -> np.ndarray:
        """Compute one chunk: `values` are the inputs as float32; write the output's bytes into `out` (uint8,
        room for the chunk in the output dtype) and return that filled part."""
        ...

    def finish(self, job: Job) -> None:
        """The last chunk of `job` has been computed (per-tensor bookkeeping)."""
        ...


@dataclass(frozen=True)
class Job:
    """One output tensor: its name and dtype code, and the input tensors it is computed from.

    Without a kernel the output is a byte copy of `inputs[0]` (which must have the output's dtype).
    """

    name: str
    dtype: str
    numel: int
    inputs: tuple[Input, ...]
    kernel: Kernel | None = None

    def chunk_elems(self, buffer_bytes: int, chunk_elems: int) -> int:
        widest = max(ITEMSIZE[self.dtype], *(ITEMSIZE[i.info.dtype] for i in self.inputs))
        n = buffer_bytes // widest
        return min(n, chunk_elems) if self.kernel is not None else n


@dataclass
class Scratch:
    """Float32, uint32 and bool work arrays of `chunk_elems` values for the kernels, allocated once, then reused."""

    chunk_elems: int
    meter: ResidencyMeter | None = None
    _arrays: dict[tuple[str, int], np.ndarray] = field(default_factory=dict)

    def f32(self, key: int) -> np.ndarray:
        return self._get("f32", key, np.float32)

    def u32(self, key: int = 0) -> np.ndarray:
        return self._get("u32", key, np.uint32)

    def mask(self, key: int = 0) -> np.ndarray:
        return self._get("mask", key, np.bool_)

    def _get(self, kind: str, key: int, dtype: type) -> np.ndarray:
        arr = self._arrays.get((kind, key))
        if arr is None:
            arr = self._arrays[(kind, key)] = tracked(self.meter, np.empty(self.chunk_elems, dtype=dtype))
        return arr


class _Slot:
    """One ring slot: a byte buffer per input position and one for the output, allocated on first use."""

    def __init__(self, buffer_bytes: int, meter: ResidencyMeter | None) -> None:
        self.buffer_bytes, self.meter = buffer_bytes, meter
        self._bufs: dict[int, np.ndarray] = {}

    def buf(self, key: int) -> np.ndarray:  # key -1 is the output
        b = self._bufs.get(key)
        if b is None:
            b = self._bufs[key] = tracked(self.meter, aligned_empty(self.buffer_bytes))  # O_DIRECT-ready
        return b


@dataclass(frozen=True)
class _Chunk:
    job: Job
    start: int  # first element
    n: int  # elements
    last: bool


def _chunks(jobs: Sequence[Job], buffer_bytes: int, chunk_elems: int) -> Iterator[_Chunk]:
    for job in jobs:
        step = job.chunk_elems(buffer_bytes, chunk_elems)
        count = max(1, math.ceil(job.numel / step))  # an empty tensor still gets one (empty) chunk
        for i in range(count):
            start = i * step
            yield _Chunk(job, start, min(step, job.numel - start), i == count - 1)


def run_jobs(
    jobs: Sequence[Job],
    writer: ShardedSafetensorsWriter,
    *,
    chunk_elems: int = CHUNK_ELEMS,
    depth_read: int = DEPTH_READ,
    depth_write: int = DEPTH_WRITE,
    meter: ResidencyMeter | None = None,
) -> None:
    """Compute and write every job, in order, through `writer`. The caller owns (and closes) the sources."""
    if chunk_elems < 1 or depth_read < 1 or depth_write < 1:
        raise ValueError("chunk_elems, depth_read and depth_write must be positive")
    buffer_bytes = 4 * chunk_elems
    slots = [_Slot(buffer_bytes, meter) for _ in range(depth_read + depth_write + 1)]
    free: deque[int] = deque(range(len(slots)))
    scratch = Scratch(chunk_elems, meter)
    reads: deque[tuple[_Chunk, int, list[Future]]] = deque()
    writes: deque[tuple[int, list[Future]]] = deque()
    plan = _chunks(jobs, buffer_bytes, chunk_elems)
    # the output's digest (if any) on a thread of its own: hashing overlaps the writer's blocking disk writes
    hash_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hash") if writer.hashing else None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as write_pool:

        def retire_oldest_write() -> None:
            slot, futs = writes.popleft()
            for fut in futs:
                fut.result()
            free.append(slot)

        def read_ahead() -> bool:
            c = next(plan, None)
            if c is None:
                return False
            while not free:
                retire_oldest_write()
            slot = free.popleft()
            futs = []
            for k, inp in enumerate(c.job.inputs):
                info = inp.info
                size = ITEMSIZE[info.dtype]
                out = slots[slot].buf(k)[: c.n * size]
                futs.append(inp.source.pool.submit(inp.source.read, info, c.start * size, out))
            reads.append((c, slot, futs))
            return True

        try:
            while len(reads) < depth_read and read_ahead():
                pass
            while reads:
                c, slot, futs = reads.popleft()
                raw = [f.result() for f in futs]
                while len(reads) < depth_read and read_ahead():
                    pass
                job = c.job
                if job.kernel is None:
                    data = raw[0]
                else:
                    values = [
                        decode(r, code, c.n, None if code == "F32" else scratch.f32(100 + k))
                        for k, (r, code) in enumerate(zip(raw, (inp.info.dtype for inp in job.inputs)))
                    ]
                    out = slots[slot].buf(-1)[: c.n * ITEMSIZE[job.dtype]]
                    with np.errstate(over="ignore", invalid="ignore"):  # kernels check finiteness themselves
                        data = job.kernel.chunk(job, values, out, scratch)
                    if c.last:
                        job.kernel.finish(job)
                futs = [write_pool.submit(writer.write_raw, job.name, data, hash=hash_pool is None)]
                if hash_pool is not None:
                    futs.append(hash_pool.submit(writer.hash_raw, job.name, data))
                writes.append((slot, futs))
                while len(writes) > depth_write:
                    retire_oldest_write()
            while writes:
                retire_oldest_write()
        except BaseException:
            for _, _, futs in reads:
                for f in futs:
                    f.cancel()
            for _, futs in writes:
                for f in futs:
                    f.cancel()
            raise
        finally:
            if hash_pool is not None:
                hash_pool.shutdown(wait=True)


def finish_sources(sources: Sequence[Source]) -> dict[str, str | None]:
    """Every source's digest (hashing, on each source's thread at once, whatever was not read), by label."""
    futs = {s.label: s.pool.submit(s.finish) for s in sources}
    return {label: f.result() for label, f in futs.items()}
