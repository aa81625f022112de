"""The ``stabletoolbench`` suite: real ToolBench queries, their API docs and a simulator.

``toolenv.get_category(name, suite="stabletoolbench", **options)`` opens ``ToolBenchSuite.open``
here (``toolenv.suites``); episodes and the oracle find their simulator through ``TaskBackend``/
``suite_for`` from the options each task carries. One ``ToolBenchSuite`` is built per distinct
options per process (data loaded once, simulator shared).
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from functools import cache
from typing import Any

from toolenv.grading import Grade
from toolenv.records import Split, Task, Trajectory
from toolenv.toolbench.category import ToolBenchCategory
from toolenv.toolbench.corpus import docs_text
from toolenv.toolbench.grading import toolbench_grade
from toolenv.toolbench.loader import ToolBenchData, load_toolbench
from toolenv.toolbench.options import SUITE, SuiteOptions
from toolenv.toolbench.oracle import oracle_actions
from toolenv.toolbench.records import ToolBenchApi, ToolBenchQuery
from toolenv.toolbench.simulator import ApiFunction, Simulator

__all__ = ["ToolBenchSuite", "TaskBackend", "toolbench_suite", "suite_for"]


class ToolBenchSuite:
    """The data and simulator of one set of options."""

    name = SUITE
    trajectories = False  # StableToolBench's files hold test queries only
    probes = False
    option_names = tuple(SuiteOptions.model_fields)

    def __init__(self, options: SuiteOptions) -> None:
        self.options = options
        self.data: ToolBenchData = load_toolbench(options.data_dir, options.tools_dir, options.groups)
        self.simulator = Simulator(options)
        self._categories: dict[tuple[str, int], ToolBenchCategory] = {}
        self._tables: dict[tuple[str, int], dict[str, ApiFunction]] = {}  # by (query key or category, seed)

    @classmethod
    def open(cls, **options: Any) -> ToolBenchSuite:
        """The suite of these options, as ``SuiteOptions.build`` takes them (paths made absolute, defaults filled)."""
        return toolbench_suite(SuiteOptions.build(**options))

    def category(self, name: str, seed: int = 0) -> ToolBenchCategory:
        data = self.data.category(name)
        key = (data.name, int(seed))
        if key not in self._categories:
            self._categories[key] = ToolBenchCategory(data, int(seed), self.options)
        return self._categories[key]

    def list_categories(self) -> list[str]:
        return sorted(self.data.by_slug)

    def _table(self, key: tuple[str, int], apis: tuple[ToolBenchApi, ...]) -> dict[str, ApiFunction]:
        if key not in self._tables:
            table: dict[str, ApiFunction] = {}
            for api in apis:
                table.setdefault(api.function_name, ApiFunction(api, self.simulator, key[1]))
            self._tables[key] = table
        return self._tables[key]

    def functions(self, query: ToolBenchQuery, seed: int) -> Mapping[str, ApiFunction]:
        """What an episode of ``query`` can call: its api_list first (as ToolBench offers it), then the
        rest of its category's APIs (one shared table per category and seed: a tools folder makes it big)."""
        category = self.data.categories[query.category]
        return ChainMap(self._table((query.key, seed), query.apis), self._table((category.name, seed), category.apis))

    @classmethod
    def backend(cls, task: Task) -> TaskBackend:
        """The backend of a task of this suite (its simulator rebuilt from the options the task carries)."""
        return TaskBackend(task)

    def tasks(self, seed: int = 0) -> list[Task]:
        """Every query as a task (both splits), category by category."""
        splits: tuple[Split, ...] = ("train", "test")
        return [t for slug in self.list_categories() for split in splits
                for t in self.category(slug, seed).tasks(split)]


@cache
def toolbench_suite(options: SuiteOptions) -> ToolBenchSuite:
    return ToolBenchSuite(options)


def suite_for(task: Task) -> tuple[ToolBenchSuite, ToolBenchQuery]:
    """The suite and query a ToolBench task comes from."""
    if task.source is None or task.source.suite != SUITE:
        raise ValueError(f"task {task.id!r} is not a {SUITE} task")
    suite = toolbench_suite(SuiteOptions.model_validate(task.source.options))
    return suite, suite.data.queries[task.source.key]


class TaskBackend:
    """What an episode of a ToolBench task runs on: the query's functions, its open-book docs, no world,
    the solvable-path grader and the oracle."""

    def __init__(self, task: Task) -> None:
        suite, query = suite_for(task)
        self.task = task
        self.functions = suite.functions(query, task.seed)
        self._docs = docs_text(suite.data.categories[query.category].name, query.apis)

    def state(self) -> None:
        return None

    def gold_state(self) -> None:
        raise TypeError(f"task {self.task.id!r} has no world state")

    def docs(self) -> str:
        return self._docs

    def grade(self, trajectory: Trajectory, state: object) -> Grade:
        return toolbench_grade(self.task, trajectory)

    def oracle_actions(self) -> list[str]:
        return oracle_actions(self.task, self.functions)
