"""The process the vector benchmark measures: one skill-vector operation, the floor, or only the imports.

    python -m toolpast.bench.worker baseline
    python -m toolpast.bench.worker extract RL SFT OUT
    python -m toolpast.bench.worker inject MODEL VECTOR OUT
    python -m toolpast.bench.worker fused MODEL RL SFT OUT
    python -m toolpast.bench.worker copy OUT DIR... [--direct DIR]

The operations run with the library defaults, i.e. exactly what `toolpast skill extract/inject` (fused: `inject
--rl --sft`) does, provenance hashes included. `copy` is the floor of any of them: it reads every weight byte of
the input dirs once and writes (and fsyncs) a copy of the first one's, as large as the operation's output,
computing and hashing nothing. The last stdout line is JSON with the operation's own time, without start-up, and
which of its model inputs had a recorded weights digest (reused, not hashed) when it started.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

_CHUNK = 8 * 1024 * 1024


def copy_floor(out: Path, dirs: list[Path], direct_dirs: frozenset[Path] = frozenset()) -> int:
    """Read every `.safetensors` byte under `dirs` once; write the first dir's bytes to `out`, on disk when it returns.

    Reads and the write are done the way the operations do them: `direct_dirs` (the vector, which extract writes
    with O_DIRECT and inject reads back the same way) are read with O_DIRECT, the others through the page cache;
    the write is O_DIRECT where allowed, else buffered with early writeback. So the floor is a floor for every
    operation, whichever way it reads and writes.
    """
    import mmap

    from toolpast.vectors.direct import open_direct
    from toolpast.vectors.writeback import Writeback

    buf = mmap.mmap(-1, _CHUNK)  # page aligned, as O_DIRECT reads need
    view = memoryview(buf)
    written = 0
    with open(out, "wb", buffering=0) as sink:
        direct = open_direct(out)
        writeback = Writeback(sink.fileno())
        for i, d in enumerate(dirs):
            flags = os.O_RDONLY | (getattr(os, "O_DIRECT", 0) if Path(d) in direct_dirs else 0)
            for f in sorted(Path(d).glob("*.safetensors")):
                try:
                    fd = os.open(f, flags)
                except OSError:
                    fd = os.open(f, os.O_RDONLY)
                try:
                    offset = 0
                    while n := os.preadv(fd, [view], offset):
                        offset += n
                        if i == 0 and direct is not None:
                            written += direct.write(view[:n])
                        elif i == 0:
                            written += sink.write(view[:n])
                            writeback.wrote(n)
                finally:
                    os.close(fd)
        if direct is not None:
            direct.close()
        os.fsync(sink.fileno())
    view.release()
    buf.close()
    return written


def _recorded(*dirs: str) -> dict[str, bool]:
    """Which input dirs hold a valid recorded digest (so the operation will not hash them): the bench checks that
    its "recorded" runs reuse every one and its cold runs none. Stamping a few files costs microseconds."""
    if not dirs:
        return {}  # the floor and the baseline import nothing of toolpast's
    from toolpast.models.identity import cached_weights_sha256

    return {str(d): cached_weights_sha256(d) is not None for d in dirs}


def main(argv: list[str]) -> int:
    op, *args = argv
    inputs = {"extract": args[:2], "inject": args[:1], "fused": args[:3]}.get(op, [])
    recorded = _recorded(*inputs)
    start = time.perf_counter()
    if op == "baseline":
        import toolpast.vectors.extract  # noqa: F401 - what the operations import, and nothing they compute
        import toolpast.vectors.inject  # noqa: F401
    elif op == "extract":
        from toolpast.vectors import extract_skill_vector

        rl, sft, out = args
        extract_skill_vector(rl, sft, out)
    elif op == "inject":
        from toolpast.vectors import inject_skill_vector

        model, vector, out = args
        inject_skill_vector(model, vector, 1.0, out)
    elif op == "fused":
        from toolpast.vectors import inject_skill_delta

        model, rl, sft, out = args
        inject_skill_delta(model, rl, sft, 1.0, out)
    elif op == "copy":
        out, *rest = args
        direct = {Path(rest[i + 1]) for i, a in enumerate(rest) if a == "--direct"}
        dirs = [Path(a) for i, a in enumerate(rest) if a != "--direct" and (i == 0 or rest[i - 1] != "--direct")]
        copy_floor(Path(out), [*dirs, *sorted(direct)], frozenset(direct))
    else:
        raise SystemExit(f"unknown operation {op!r}")
    print(json.dumps({"op": op, "op_s": time.perf_counter() - start, "recorded": recorded}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
