"""The JSON Schema file of the leaderboard format, generated from the pydantic models (never edited by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from toolpast.leaderboard.schema import SCHEMA_VERSION, Leaderboard
from toolpast.paths import repo_root

SCHEMA_PATH = repo_root() / "leaderboards" / "schema.json"


def leaderboard_json_schema() -> dict:
    schema = Leaderboard.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"toolpast-leaderboard-v{SCHEMA_VERSION}"
    return schema


def render_schema() -> str:
    return json.dumps(leaderboard_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    from toolpast.io import atomic_write_text

    atomic_write_text(path, render_schema())
    return path
