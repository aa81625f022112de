"""Train/test splits of a category's real queries, and the ``Task`` of each query.

A query's split is fixed by SHA-256 of its ``query_id`` (``TEST_FRACTION`` of the hash
range is test), independent of the seed, so every seed evaluates the same test queries;
a category with at least two queries always keeps one in each split (the lowest hash goes
to test, the highest to train, when the hash left a split empty). Within a split, tasks
are ordered by that hash, so prefixes mix the query groups. A task's ``gold_calls`` are its
relevant APIs called with arguments built from the docs (what the oracle does); it has no
gold facts: the answer is judged against what the calls returned (``grading``).
"""

from __future__ import annotations

import hashlib

from toolenv.records import Split, Task, TaskSource, ToolCall
from toolenv.toolbench.arguments import example_arguments
from toolenv.toolbench.options import SUITE, SuiteOptions
from toolenv.toolbench.records import CategoryData, ToolBenchApi, ToolBenchQuery

__all__ = ["TEST_FRACTION", "split_position", "assign_splits", "make_task"]

TEST_FRACTION = 0.5


def split_position(query_id: str) -> float:
    """Where a query falls in [0, 1): below ``TEST_FRACTION`` is test."""
    h = hashlib.sha256(f"toolbench-split\x1f{query_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def assign_splits(queries: tuple[ToolBenchQuery, ...]) -> dict[Split, list[ToolBenchQuery]]:
    """Both splits of one category, each in hash order."""
    ordered = sorted(queries, key=lambda q: (split_position(q.query_id), q.key))
    test = [q for q in ordered if split_position(q.query_id) < TEST_FRACTION]
    train = [q for q in ordered if split_position(q.query_id) >= TEST_FRACTION]
    if len(ordered) >= 2 and not test:
        test, train = [train[0]], train[1:]
    if len(ordered) >= 2 and not train:
        test, train = test[:-1], [test[-1]]
    return {"train": train, "test": test}


def _api(query: ToolBenchQuery, category: CategoryData, name: str) -> ToolBenchApi:
    return next((a for a in query.apis if a.function_name == name), None) or next(
        a for a in category.apis if a.function_name == name)


def make_task(query: ToolBenchQuery, category: CategoryData, split: Split, seed: int, options: SuiteOptions) -> Task:
    relevant = [_api(query, category, name) for name in query.relevant]
    calls = [ToolCall(name=a.function_name, arguments=example_arguments(a)) for a in relevant]
    return Task(
        id=f"{category.slug}/{split}/{query.group}_{query.query_id}", category=category.slug, split=split, seed=seed,
        kind="G1" if len({a.tool for a in relevant}) == 1 else "G2_cross", recipe=query.group, query=query.query,
        gold_calls=calls, gold_facts=[], gold_answer="", mutates=False,
        source=TaskSource(suite=SUITE, options=options.model_dump(mode="json"), key=query.key),
    )
