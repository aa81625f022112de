"""Native categories: the per-category facade (docs, worlds, tasks, corpus) over the specs.

Everything is derived lazily and cached per (slug, seed): compiling a category's
functions, building a split's world and generating its tasks each happen once per
process, so episodes start in microseconds.
"""

from __future__ import annotations

from functools import cache, cached_property

from toolenv.categories import SPECS
from toolenv.category_spec import CategorySpec
from toolenv.corpus import knowledge_corpus
from toolenv.doc_pairs import doc_pairs
from toolenv.docs import ApiDoc, api_doc, docs_text
from toolenv.functions import Function, compile_functions
from toolenv.probes import Probe, knowledge_probes
from toolenv.records import Split, Task
from toolenv.seeding import derive_seed
from toolenv.taskgen import generate_tasks
from toolenv.world import World, build_world

__all__ = ["Category", "category_at", "get_task", "resolve_slug", "functions_of", "docs_of", "world_of"]

TRAIN_SIZE = 200
TEST_SIZE = 60


def resolve_slug(name: str) -> str:
    """Slug for a slug or ToolBench name ('Finance', 'news media'); ``ValueError`` if unknown."""
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in SPECS:
        raise ValueError(f"unknown category {name!r}; valid categories: {', '.join(SPECS)}")
    return key


@cache
def functions_of(slug: str) -> dict[str, Function]:
    return compile_functions(SPECS[slug])


@cache
def docs_of(slug: str) -> str:
    return docs_text(SPECS[slug].name, list(functions_of(slug).values()))


@cache
def world_of(slug: str, seed: int, split: Split) -> World:
    """The base world of one split (never mutated; episodes copy on write)."""
    return build_world(SPECS[slug], derive_seed(slug, seed, split, "world"))


@cache
def _tasks(slug: str, seed: int, split: Split, size: int) -> tuple[Task, ...]:
    spec = SPECS[slug]
    return tuple(generate_tasks(spec, functions_of(slug), world_of(slug, seed, split),
                                seed=seed, split=split, size=size))


class Category:
    """One category at one seed."""

    def __init__(self, spec: CategorySpec, seed: int = 0, *, train_size: int = TRAIN_SIZE,
                 test_size: int = TEST_SIZE) -> None:
        self.spec = spec
        self.slug = spec.slug
        self.name = spec.name
        self.seed = seed
        self.sizes: dict[Split, int] = {"train": train_size, "test": test_size}

    def __repr__(self) -> str:
        return f"Category({self.name!r}, seed={self.seed}, sizes={self.sizes})"

    @property
    def functions(self) -> dict[str, Function]:
        return functions_of(self.slug)

    @cached_property
    def api_docs(self) -> list[ApiDoc]:
        return [api_doc(self.name, fn) for fn in self.functions.values()]

    def world(self, split: Split) -> World:
        return world_of(self.slug, self.seed, split)

    def tasks(self, split: Split, n: int | None = None) -> list[Task]:
        """The first ``n`` tasks of a split (all when ``n`` is None); prefixes are stable."""
        if split not in self.sizes:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        size = self.sizes[split]
        if n is not None and not 0 <= n <= size:
            raise ValueError(f"{self.slug} {split} split has {size} tasks; asked for {n}")
        return list(_tasks(self.slug, self.seed, split, size)[:n])

    def knowledge_corpus(self) -> list[str]:
        """SFT documents about the API surface: no tasks, no world records."""
        return knowledge_corpus(self.spec, list(self.functions.values()))

    def doc_pairs(self) -> list[list[dict]]:
        """Stage-1 SFT chats (the prototype's API-doc pairs): no tasks, no world records."""
        return doc_pairs(self.spec, list(self.functions.values()))

    def knowledge_probes(self) -> list[Probe]:
        """Closed-book questions on the API surface, phrased unlike the corpus and the pairs."""
        return knowledge_probes(self.spec, list(self.functions.values()))

    def docs_text(self) -> str:
        return docs_of(self.slug)


@cache
def category_at(slug: str, seed: int, train_size: int = TRAIN_SIZE, test_size: int = TEST_SIZE) -> Category:
    """The one ``Category`` of a slug, seed and split sizes in this process."""
    return Category(SPECS[slug], seed, train_size=train_size, test_size=test_size)


def get_task(task_id: str, seed: int = 0) -> Task:
    """A task by id ('finance/test/0007'); works for indices beyond the default split sizes."""
    try:
        slug, split, index = task_id.split("/")
        i = int(index)
    except ValueError:
        raise ValueError(f"task id must look like 'finance/test/0007', got {task_id!r}") from None
    if split not in ("train", "test"):
        raise ValueError(f"unknown split in task id {task_id!r}")
    sizes = {"train_size": TRAIN_SIZE, "test_size": TEST_SIZE}
    sizes[f"{split}_size"] = max(sizes[f"{split}_size"], i + 1)
    return category_at(resolve_slug(slug), int(seed), sizes["train_size"], sizes["test_size"]).tasks(split)[i]
