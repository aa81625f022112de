"""The base of the JSON files toolpast writes about its own work: a skill vector's manifest, an injection's
report, the orthogonality analysis and the vector benchmark.

Each refuses unknown fields (a file of another format fails loudly rather than loading half), is written
atomically as indented JSON with one trailing newline, and stamps when and by which toolpast it was made.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from toolpast import __version__
from toolpast.io import atomic_write_text


def toolpast_version() -> str:
    return __version__


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class FileRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def write_json(self, path: str | Path) -> Path:
        path = Path(path)
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")
        return path
