"""Canonical JSON: the one spelling of a value that every key and hash in this suite uses.

StableToolBench keys its response cache on ``str(tool_input)``, a Python repr that changes
with key order and quoting; here keys are JSON with sorted keys and no spaces, so equal
arguments give equal keys in every process, and hashes derive from SHA-256, never ``hash()``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "digest", "seed_of"]


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, unicode kept; non-JSON values fall back to ``str``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str:
    """Hex SHA-256 of the canonical JSON of ``value``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def seed_of(value: Any) -> int:
    """A 64-bit seed from the canonical JSON of ``value``."""
    return int(digest(value)[:16], 16)
