"""A model's identity for provenance and stage keys, cached beside the weights.

The digest itself is `toolpast.vectors.weights_sha256` (tensor contents, independent of sharding); hashing a
7B model takes a minute, so the value is cached in the model dir, keyed by the files' sizes and mtimes.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolpast.io import atomic_write_text

_CACHE = ".weights_sha256.json"


def weights_sha256(model_dir: Path) -> str:
    from toolpast.vectors import weights_sha256 as tensor_digest

    model_dir = Path(model_dir)
    stamp = [[f.name, f.stat().st_size, f.stat().st_mtime_ns] for f in sorted(model_dir.glob("*.safetensors"))]
    cache = model_dir / _CACHE
    if cache.is_file():
        try:
            cached = json.loads(cache.read_text())
            if cached.get("stamp") == stamp:
                return cached["sha256"]
        except (ValueError, KeyError):
            pass
    value = tensor_digest(model_dir)
    try:
        atomic_write_text(cache, json.dumps({"stamp": stamp, "sha256": value}))
    except OSError:  # a read-only model dir still gets its identity, just not cached
        pass
    return value
