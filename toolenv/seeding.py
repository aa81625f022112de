"""Process-independent seeds.

Python's builtin ``hash()`` is salted per process, so every seed in toolenv is derived
from a SHA-256 digest of its labelled parts instead; the same parts give the same
``random.Random`` stream in every process and on every machine.
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["derive_seed", "rng"]


def derive_seed(*parts: object) -> int:
    """A 64-bit seed from the ``str()`` of each part (order matters)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def rng(*parts: object) -> random.Random:
    """A private random stream keyed by ``parts`` (never touches the global RNG)."""
    return random.Random(derive_seed(*parts))
