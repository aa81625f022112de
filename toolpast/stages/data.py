"""Training data of each stage, drawn from toolenv: what each model is allowed to see.

- warm-up: closed-book oracle conversations on the warm-up categories only (the protocol, not the target);
- knowledge SFT: the categories' API-doc corpus as plain text, no trajectories (targets stay zero-shot);
- RL: the source categories' training tasks (their test split is never touched).

Iterative skill refinement (RunConfig.refine_rounds = K) splits the source data into K disjoint parts: within
each source category, its RL training tasks (the first rl.train_tasks of its train split, in split order) and its
knowledge-doc corpus (in corpus order) are each dealt round-robin, item i to part i % K + 1. So every task and
every doc lands in exactly one part, parts differ in size by at most one item per category, each part sees
every task recipe and a share of every API's docs, and K = 1 gives back the full lists unchanged.
"""

from __future__ import annotations

import toolenv
from toolpast.config import RunConfig

Part = tuple[int, int]
WHOLE: Part = (1, 1)  # (k, K): part k of K, 1-based


def subset(items: list, part: Part, what: str = "items") -> list:
    """Part k of K of items, dealt round-robin (item i goes to part i % K + 1); WHOLE returns all of them."""
    k, rounds = part
    if not 1 <= k <= rounds:
        raise ValueError(f"part {k} of {rounds}: k must be in 1..{rounds}")
    if rounds > len(items):
        raise ValueError(f"refine_rounds={rounds} needs at least {rounds} {what}, found {len(items)}")
    return items[k - 1::rounds]


def suite_category(cfg: RunConfig, slug: str):
    """A source or target category of the run's suite (the warm-up always uses default native categories)."""
    return toolenv.get_category(slug, seed=cfg.world_seed, suite=cfg.suite, **cfg.suite_options)


def suite_categories(cfg: RunConfig) -> list[str]:
    return toolenv.list_categories(suite=cfg.suite, **cfg.suite_options)


def warmup_rows(cfg: RunConfig) -> list[dict]:
    rows = []
    for slug in cfg.warmup.categories:
        category = toolenv.get_category(slug, seed=cfg.world_seed)
        for task in category.tasks("train", n=cfg.warmup.tasks_per_category):
            rows.append({"messages": toolenv.oracle_conversation(task, book="closed")})
    return rows


def knowledge_rows(categories: list[str], cfg: RunConfig, part: Part = WHOLE) -> list[dict]:
    """The categories' docs corpora (part k of K of each), each repeated sft.repeats times."""
    rows = []
    for slug in categories:
        corpus = subset(suite_category(cfg, slug).knowledge_corpus(), part, f"knowledge docs in {slug}")
        rows += [{"text": doc} for doc in corpus] * cfg.sft.repeats
    return rows


def eval_tasks(cfg: RunConfig) -> list:
    """The target's held-out test tasks (its train split is never used by any variant)."""
    return suite_category(cfg, cfg.target).tasks("test", n=cfg.eval.tasks)


def train_tasks(cfg: RunConfig, categories: list[str], part: Part = WHOLE) -> list:
    """RL tasks: the first rl.train_tasks of each category's train split (part k of K of each)."""
    tasks = []
    for slug in categories:
        tasks += subset(suite_category(cfg, slug).tasks("train", n=cfg.rl.train_tasks), part,
                        f"RL training tasks in {slug}")
    return tasks


def rl_tasks(cfg: RunConfig, part: Part = WHOLE) -> list:
    """The source categories' RL tasks (part k of K under iterative refinement)."""
    return train_tasks(cfg, cfg.source, part)
