"""Combine leaderboard exports from several runs into one, keeping the newest result of each evaluation.

Runs happen on different machines and days; a rerun of the same evaluation (same weights, variant, suite,
category, book and run config) supersedes the older one instead of showing up twice.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import get_args

from pydantic import BaseModel, Field

from toolpast.json_file import read_json, validate
from toolpast.leaderboard.schema import SCHEMA_VERSION, Entry, Leaderboard, Variant

VARIANT_ORDER = {name: i for i, name in enumerate(get_args(Variant.model_fields["name"].annotation))}


class MergeResult(BaseModel):
    board: Leaderboard
    inputs: int = Field(description="Entries read over all files.")
    replaced: int = Field(description="Entries dropped because a newer result of the same evaluation exists.")


def entry_time(e: Entry) -> datetime:
    """provenance.date as an aware datetime (naive times are read as UTC)."""
    try:
        t = datetime.fromisoformat(e.provenance.date)
    except ValueError as err:
        raise ValueError(f"provenance.date {e.provenance.date!r} is not ISO 8601") from err
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def evaluation_key(e: Entry) -> str:
    """What makes two entries the same evaluation: weights, full variant, suite, category, book, split, seeds and
    config hash."""
    return json.dumps([e.model.weights_sha256, e.variant.model_dump(mode="json"), e.suite, e.category, e.book,
                       e.split, e.provenance.seeds, e.provenance.config_hash], sort_keys=True)


def sort_key(e: Entry) -> tuple:
    return (e.suite, e.category, e.book, VARIANT_ORDER[e.variant.name], e.variant.lam if e.variant.lam is not None
            else -1.0, e.variant.knowledge or "", e.variant.setting or "", e.model.name, e.provenance.date,
            evaluation_key(e))


def read_board(path: Path) -> Leaderboard:
    """One export, refusing a schema version this code does not read."""
    path = Path(path)
    try:
        raw = read_json(path, "leaderboard")
    except OSError as err:
        raise ValueError(f"{path}: not a readable JSON file ({err})") from err
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version {version!r}, but this toolpast reads version {SCHEMA_VERSION}; "
                         "convert or regenerate it before merging")
    return validate(Leaderboard, raw, path, "leaderboard")


def merge_boards(boards: list[Leaderboard]) -> MergeResult:
    """Union of the entries; per evaluation key the newest by provenance.date wins (a tie: the later input)."""
    versions = {b.schema_version for b in boards}
    if versions - {SCHEMA_VERSION}:
        raise ValueError(f"schema versions {sorted(versions)} differ from {SCHEMA_VERSION}; cannot merge")
    newest: dict[str, Entry] = {}
    inputs = 0
    for board in boards:
        for e in board.entries:
            inputs += 1
            key = evaluation_key(e)
            if key not in newest or entry_time(e) >= entry_time(newest[key]):
                newest[key] = e
    entries = sorted(newest.values(), key=sort_key)
    return MergeResult(board=Leaderboard(entries=entries), inputs=inputs, replaced=inputs - len(entries))


def merge_files(paths: list[Path], out: Path | None = None) -> MergeResult:
    """Read, merge and (when out is given) write atomically, with stable key order and indentation."""
    if not paths:
        raise ValueError("no leaderboard files to merge")
    result = merge_boards([read_board(p) for p in paths])
    if out is not None:
        from toolpast.io import atomic_write_json

        atomic_write_json(Path(out), result.board.model_dump(mode="json"))
    return result
