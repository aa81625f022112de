"""Task suites by name: where categories, tasks and each task's backend come from.

``native`` is toolenv's own generated categories (``toolenv.native``), the default;
``stabletoolbench`` is the real ToolBench queries (``toolenv.toolbench``). Every suite
implements ``toolenv.suite.Suite``; tasks of a non-native suite carry ``Task.source``
naming their suite and options, so ``task_backend`` finds what any task runs on.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from toolenv.category import Category
from toolenv.native import NATIVE, NativeSuite
from toolenv.records import Task
from toolenv.suite import Suite, SuiteCategory, TaskBackend
from toolenv.toolbench.options import SUITE as STABLETOOLBENCH
from toolenv.toolbench.suite import ToolBenchSuite

__all__ = ["SUITES", "get_suite", "get_category", "list_categories", "task_backend"]

SUITES: dict[str, type[Suite]] = {NATIVE: NativeSuite, STABLETOOLBENCH: ToolBenchSuite}


def _suite_class(name: str) -> type[Suite]:
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}; valid suites: {', '.join(SUITES)}")
    return SUITES[name]


def get_suite(name: str = NATIVE, **options: Any) -> Suite:
    """A suite by name with its options (native: ``train_size``, ``test_size``; stabletoolbench:
    ``SuiteOptions``); ``ValueError`` if unknown, ``TypeError`` for options it does not take."""
    return _suite_class(name).open(**options)


def list_categories(suite: str = NATIVE, **options: Any) -> list[str]:
    """All category slugs of a suite, sorted."""
    return get_suite(suite, **options).list_categories()


@overload
def get_category(name: str, seed: int = 0, *, suite: Literal["native"] = "native", **options: Any) -> Category: ...
@overload
def get_category(name: str, seed: int = 0, *, suite: str, **options: Any) -> SuiteCategory: ...


def get_category(name: str, seed: int = 0, *, suite: str = NATIVE, **options: Any) -> SuiteCategory:
    """A category by slug or ToolBench name (case-insensitive) of a suite, at a seed."""
    return get_suite(suite, **options).category(name, seed)


def task_backend(task: Task) -> TaskBackend:
    """What an episode of ``task`` runs on: the backend of the suite its ``source`` names (native without)."""
    return _suite_class(NATIVE if task.source is None else task.source.suite).backend(task)
