"""Training data of each stage, drawn from toolenv: what each model is allowed to see.

- warm-up: closed-book oracle conversations on the warm-up categories only (the protocol, not the target);
- knowledge SFT: the categories' API-doc corpus as plain text, no trajectories (targets stay zero-shot);
- RL: the source categories' training tasks (their test split is never touched).
"""

from __future__ import annotations

import toolenv
from toolpast.config import RunConfig


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


def knowledge_rows(categories: list[str], cfg: RunConfig) -> list[dict]:
    rows = []
    for slug in categories:
        corpus = suite_category(cfg, slug).knowledge_corpus()
        rows += [{"text": doc} for doc in corpus] * cfg.sft.repeats
    return rows


def eval_tasks(cfg: RunConfig) -> list:
    """The target's held-out test tasks (its train split is never used by any variant)."""
    return suite_category(cfg, cfg.target).tasks("test", n=cfg.eval.tasks)


def rl_tasks(cfg: RunConfig) -> list:
    tasks = []
    for slug in cfg.source:
        tasks += suite_category(cfg, slug).tasks("train", n=cfg.rl.train_tasks)
    return tasks
