"""Deterministic train/test task generation for one category.

Each split has its own world (seeded by category, seed and split), so train trajectories
reveal nothing about test records. Queries are additionally assigned to a split by a
hash of their text, which makes the splits disjoint by construction even for queries that
name no record, and independent of the requested sizes. Kinds are interleaved in
shuffled blocks, so any prefix of a split has roughly the full kind mix.
"""

from __future__ import annotations

from collections.abc import Iterator

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function
from toolenv.recipes import Recipe, build_recipes
from toolenv.records import Split, Task, TaskKind
from toolenv.seeding import derive_seed, rng
from toolenv.world import World

__all__ = ["KIND_MIX", "split_of", "generate_tasks"]

KIND_MIX: tuple[tuple[TaskKind, int], ...] = (("G1", 6), ("G2_intra", 5), ("G2_cross", 5), ("act", 4))
_ATTEMPTS = 400


def split_of(slug: str, query: str) -> Split:
    """The only split a query text may appear in."""
    return "test" if derive_seed(slug, "split", query) % 2 == 0 else "train"


def _schedule(slug: str, seed: int, split: Split) -> Iterator[TaskKind]:
    block = [kind for kind, n in KIND_MIX for _ in range(n)]
    rnd = rng(slug, seed, split, "schedule")
    while True:
        rnd.shuffle(block)
        yield from block


def generate_tasks(spec: CategorySpec, functions: dict[str, Function], world: World,
                   *, seed: int, split: Split, size: int) -> list[Task]:
    """``size`` distinct tasks whose gold answers are computed on ``world``."""
    slug = spec.slug
    by_kind: dict[TaskKind, list[Recipe]] = {}
    for r in build_recipes(spec, functions):
        by_kind.setdefault(r.kind, []).append(r)
    missing = [k for k, _ in KIND_MIX if k not in by_kind]
    if missing:
        raise ValueError(f"category {slug!r} supports no {missing} tasks; extend its spec")
    rnd = rng(slug, seed, split, "tasks")
    seen: set[str] = set()
    tasks: list[Task] = []
    kinds = _schedule(slug, seed, split)
    while len(tasks) < size:
        kind = next(kinds)
        for _ in range(_ATTEMPTS):
            recipe = rnd.choice(by_kind[kind])
            d = recipe.sample(rnd, world)
            if d is None or d.query in seen or split_of(slug, d.query) != split:
                continue
            seen.add(d.query)
            tasks.append(Task(
                id=f"{slug}/{split}/{len(tasks):04d}", category=slug, split=split, seed=seed, kind=kind,
                recipe=recipe.name, query=d.query, gold_calls=d.calls, gold_facts=d.facts,
                gold_answer=d.answer, mutates=d.mutates,
            ))
            break
        else:
            raise ValueError(f"category {slug!r}: cannot draw {size} distinct {split} tasks ({kind} exhausted)")
    return tasks
