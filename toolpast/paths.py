"""Where toolpast keeps weights, vectors and run artifacts: outside the checkout, never in git."""

from __future__ import annotations

import os
from pathlib import Path


def toolpast_home() -> Path:
    """The cache root: `$TOOLPAST_HOME`, else `~/.cache/toolpast`."""
    return Path(os.environ.get("TOOLPAST_HOME") or Path.home() / ".cache" / "toolpast").expanduser()


def models_dir() -> Path:
    return toolpast_home() / "models"


def artifacts_dir() -> Path:
    return toolpast_home() / "artifacts"


def repo_root() -> Path:
    """The checkout this package was imported from (used for leaderboards/ and ../shared lookups)."""
    return Path(__file__).resolve().parent.parent
