"""A model's identity for provenance and stage keys, recorded beside the weights so that it is hashed once.

The digest itself is `toolpast.vectors.weights_sha256` (tensor contents, independent of sharding). Hashing a
model costs a read of every weight byte and ~0.55 s of CPU per GB, on every extract, inject and evaluation
entry, so each model's digest is recorded once, when it is known anyway (its stage wrote the weights, or an
operation just hashed them as it read them), in `<model>/.weights_sha256.json`, and reused while the weight
files are provably the ones it was taken from.

Validation, like git's index: the record holds a stamp of every weight file (`*.safetensors` and the weight
index) taken *before* the bytes were hashed: name, size, mtime_ns and inode. Any write to a file moves its
mtime (nanoseconds); a file replaced by a rename or a copied directory (even with `cp -a`, which keeps mtimes)
has other inodes; an added or removed shard changes the list. A record whose stamp differs is ignored and the
digest computed again. The record also carries a checksum of its own content, so a truncated, corrupted or
hand-edited entry is ignored too. Not in the stamp: ctime, which would also catch a write whose mtime was then
put back on purpose, but which every chmod moves too (the artifact store applies the umask to each stage's
files after the stage has written them, which would void every record made at save). What it does not stop is
deliberate tampering (putting an mtime back, or rewriting the digest *and* its checksum): the record is exactly
as trustworthy as the directory it sits in, whose weights that person could equally have replaced; nor, as in
git's "racy" case, a same-size rewrite within one file-time tick (a few ms) of the stamp, which nothing here
does to a finished model. Pass `reuse=False` (or delete the file) to hash anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from toolpast.io import atomic_write_text

_CACHE = ".weights_sha256.json"
_FORMAT = 2


def _weight_files(model_dir: Path) -> list[Path]:
    return sorted(p for p in model_dir.iterdir() if p.is_file() and (p.suffix == ".safetensors"
                                                                     or p.name.endswith(".safetensors.index.json")))


def weights_stamp(model_dir: str | Path) -> list[list]:
    """[name, size, mtime_ns, inode] of each weight file: take it before hashing, record it with the digest."""
    out = []
    for f in _weight_files(Path(model_dir)):
        st = f.stat()
        out.append([f.name, st.st_size, st.st_mtime_ns, st.st_ino])
    return out


def _check(stamp: list, value: str) -> str:
    return hashlib.sha256(json.dumps([_FORMAT, stamp, value]).encode()).hexdigest()[:16]


def cache_path(model_dir: str | Path) -> Path:
    return Path(model_dir) / _CACHE


def cached_weights_sha256(model_dir: str | Path) -> str | None:
    """The digest recorded beside the weights, if every weight file is still the one it was taken from."""
    cache = cache_path(model_dir)
    try:
        cached = json.loads(cache.read_text())
        stamp, value = cached["stamp"], cached["sha256"]
        if cached.get("format") != _FORMAT or cached.get("check") != _check(stamp, value):
            return None
        return value if stamp == weights_stamp(model_dir) else None
    except (ValueError, KeyError, TypeError, OSError):  # absent, unreadable or malformed: hash again
        return None


def record_weights_sha256(model_dir: str | Path, value: str, stamp: list | None = None) -> bool:
    """Record `value` as the digest of the weights in `model_dir`; whether it was recorded.

    `stamp` is `weights_stamp` taken before the bytes that gave `value` were read: if the files changed since
    (a concurrent writer), nothing is recorded. Without it the files are stamped now, which is right only for
    a writer that has just produced them. A read-only model dir keeps its identity, just not recorded.
    """
    model_dir = Path(model_dir)
    try:
        now = weights_stamp(model_dir)
        if stamp is not None and stamp != now:
            return False
        atomic_write_text(cache_path(model_dir),
                          json.dumps({"format": _FORMAT, "stamp": now, "sha256": value, "check": _check(now, value)}))
    except OSError:
        return False
    return True


def weights_sha256(model_dir: str | Path, *, reuse: bool = True) -> str:
    """The weights' digest: the recorded one if still valid (`reuse`), else hashed from the files and recorded."""
    from toolpast.vectors import weights_sha256 as tensor_digest

    model_dir = Path(model_dir)
    value = cached_weights_sha256(model_dir) if reuse else None
    if value is None:
        stamp = weights_stamp(model_dir)
        value = tensor_digest(model_dir)
        record_weights_sha256(model_dir, value, stamp)
    return value


def forget_weights_sha256(model_dir: str | Path) -> None:
    """Delete the recorded digest (the next use hashes the weights again)."""
    try:
        os.unlink(cache_path(model_dir))
    except FileNotFoundError:
        pass
