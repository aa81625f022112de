"""A model's identity for provenance and stage keys, cached beside the weights.

The digest itself is `toolpast.vectors.weights_sha256` (tensor contents, independent of sharding); hashing a
7B model takes a minute, so the value is cached in the model dir, keyed by the files' sizes and mtimes.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolpast.io import atomic_write_text

_CACHE = ".weights_sha256.json"


def _stamp(model_dir: Path) -> list:
    return [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in sorted(model_dir.glob("*.safetensors"))]


def cached_weights_sha256(model_dir: Path) -> str | None:
    """The digest cached beside the weights, if their files still have the sizes and mtimes it was taken at."""
    cache = Path(model_dir) / _CACHE
    if not cache.is_file():
        return None
    try:
        cached = json.loads(cache.read_text())
        return cached["sha256"] if cached.get("stamp") == _stamp(Path(model_dir)) else None
    except (ValueError, KeyError, OSError):
        return None


def record_weights_sha256(model_dir: Path, value: str) -> None:
    """Cache `value` as the digest of the weights now in `model_dir` (e.g. computed while writing them)."""
    model_dir = Path(model_dir)
    try:
        atomic_write_text(model_dir / _CACHE, json.dumps({"stamp": _stamp(model_dir), "sha256": value}))
    except OSError:  # a read-only model dir still gets its identity, just not cached
        pass


def weights_sha256(model_dir: Path) -> str:
    from toolpast.vectors import weights_sha256 as tensor_digest

    model_dir = Path(model_dir)
    value = cached_weights_sha256(model_dir)
    if value is None:
        value = tensor_digest(model_dir)
        record_weights_sha256(model_dir, value)
    return value
