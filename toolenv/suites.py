"""Task suites: where categories and tasks come from.

``native`` is toolenv's own generated categories (``toolenv.category``); other suites live
in their own subpackage and are imported on first use. A suite module provides
``get_category(name, seed, **options)``, ``list_categories(**options)``,
``task_backend(task)`` (what ``Episode`` runs a task of the suite with) and
``oracle_actions(task)``; its tasks carry ``Task.source`` naming the suite.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["SUITES", "suite_module"]

SUITES: dict[str, str | None] = {"native": None, "stabletoolbench": "toolenv.toolbench"}


def suite_module(name: str) -> ModuleType:
    """The module of a non-native suite; ``ValueError`` if unknown."""
    path = SUITES.get(name)
    if path is None:
        valid = ", ".join(SUITES)
        raise ValueError(f"unknown suite {name!r}; valid suites: {valid}" if name not in SUITES
                         else f"suite {name!r} has no suite module")
    return importlib.import_module(path)
