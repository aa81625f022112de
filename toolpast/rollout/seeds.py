"""Per-episode sampling seeds: the k samples of a task must be k different draws, and a resumed evaluation must
draw what the uninterrupted one would have.

A seed shared by a whole evaluation makes every sample of a task identical on a backend that seeds each request
(vllm, an OpenAI-compatible server): pass@k would silently equal pass@1. A seed taken from an episode's position
in its batch changes when a resume or another batch size regroups the episodes. So a seed is derived from what
names the episode: the run seed, the task and the sample index (`episode_key`), plus, for token-level backends,
the sequence length, which tells the episode's turns apart.
"""

from __future__ import annotations

import hashlib


def episode_key(task_id: str, sample: int) -> str:
    return f"{task_id}#{sample}"


def sample_seed(run_seed: int, key: str, length: int = 0) -> int:
    """A 32-bit seed for one request, stable across processes (sha256, not Python's salted hash)."""
    digest = hashlib.sha256(f"{run_seed}\x00{key}\x00{length}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
