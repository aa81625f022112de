"""`toolpast sweep --shard i/n`: one machine's share of a sweep, so that n machines split it and merge the exports.

A sweep's work is its (seed, target) pairs, seed-major; shard i takes every n-th pair from the i-th (round-robin),
so shards get equal numbers of targets (within one) and a seed's source stages are needed by as few shards as the
split allows. Every shard builds the source stages of its seeds (or, in a shared `$TOOLPAST_HOME`, waits for the
shard already building them: artifacts.py); their keys are content addresses, so separate homes build the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int
    count: int

    def __post_init__(self):
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ValueError(f"--shard {self.index}/{self.count}: need 1 <= i <= n (shards are numbered from 1), "
                             f"e.g. 1/{max(self.count, 2)}")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def take(self, units: list) -> list:
        """This shard's share of `units`: every count-th one, starting from the index-th."""
        return units[self.index - 1::self.count]

    def export(self, path: Path) -> Path:
        """The shard's own leaderboard path: `x.json` -> `x.shard-i-of-n.json` (the page and table follow it)."""
        path = Path(path)
        return path.with_name(f"{path.stem}.shard-{self.index}-of-{self.count}{path.suffix or '.json'}")


def parse_shard(text: str) -> Shard:
    """`i/n` with 1 <= i <= n, e.g. 2/3; a clear error for anything else."""
    match = SHARD.fullmatch(text or "")
    if match is None:
        raise ValueError(f"--shard {text!r}: expected i/n, e.g. 1/2 for the first of two shards")
    return Shard(int(match[1]), int(match[2]))
