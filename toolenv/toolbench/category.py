"""A ToolBench category with the interface of a native ``Category``.

``slug``/``name``/``seed``, ``api_docs``, ``tasks(split, n)`` (deterministic disjoint
splits of the category's real queries, see ``tasks``), ``knowledge_corpus()`` and
``docs_text()``. Real data is finite: asking for more tasks than a split holds gives the
whole split rather than an error.
"""

from __future__ import annotations

from functools import cached_property

from toolenv.docs import ApiDoc
from toolenv.records import Split, Task
from toolenv.toolbench.corpus import docs_text, knowledge_corpus
from toolenv.toolbench.options import SuiteOptions
from toolenv.toolbench.records import CategoryData, ToolBenchQuery
from toolenv.toolbench.tasks import assign_splits, make_task

__all__ = ["ToolBenchCategory"]


class ToolBenchCategory:
    """One category of real ToolBench queries at one seed (the seed varies mock responses only)."""

    def __init__(self, data: CategoryData, seed: int, options: SuiteOptions) -> None:
        self.data = data
        self.slug = data.slug
        self.name = data.name
        self.seed = seed
        self.options = options

    def __repr__(self) -> str:
        sizes = {split: len(tasks) for split, tasks in self._tasks.items()}
        return f"ToolBenchCategory({self.name!r}, seed={self.seed}, mode={self.options.mode!r}, sizes={sizes})"

    @property
    def queries(self) -> tuple[ToolBenchQuery, ...]:
        return self.data.queries

    @cached_property
    def api_docs(self) -> list[ApiDoc]:
        return [api.doc() for api in self.data.apis]

    @cached_property
    def _tasks(self) -> dict[Split, tuple[Task, ...]]:
        return {split: tuple(make_task(q, self.data, split, self.seed, self.options) for q in queries)
                for split, queries in assign_splits(self.data.queries).items()}

    def tasks(self, split: Split, n: int | None = None) -> list[Task]:
        """The first ``n`` tasks of a split (all when ``n`` is None or exceeds it); prefixes are stable."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if n is not None and n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        return list(self._tasks[split][:n])

    def knowledge_corpus(self) -> list[str]:
        """SFT documents from the category's API docs only: no queries, no responses."""
        return knowledge_corpus(self.name, self.data.apis)

    def docs_text(self) -> str:
        return docs_text(self.name, self.data.apis)
