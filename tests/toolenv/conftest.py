"""Shared fixtures for toolenv tests: a few representative categories and tasks."""

from __future__ import annotations

import pytest

import toolenv


@pytest.fixture(scope="session")
def finance() -> toolenv.Category:
    return toolenv.get_category("finance", seed=0)


@pytest.fixture(scope="session")
def finance_tasks(finance: toolenv.Category) -> dict[str, toolenv.Task]:
    """One test task per recipe, keyed by recipe name."""
    out: dict[str, toolenv.Task] = {}
    for t in finance.tasks("test") + finance.tasks("train"):
        out.setdefault(t.recipe, t)
    return out
