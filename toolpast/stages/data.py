"""Training data of each stage, drawn from toolenv: what each model is allowed to see.

- warm-up: closed-book oracle conversations on the warm-up categories only (the protocol, not the target);
- knowledge SFT: the categories' API-doc corpus as plain text, no trajectories (targets stay zero-shot);
- RL: the source categories' training tasks (their test split is never touched).
"""

from __future__ import annotations

import toolenv
from toolpast.config import RunConfig


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
        corpus = toolenv.get_category(slug, seed=cfg.world_seed).knowledge_corpus()
        rows += [{"text": doc} for doc in corpus] * cfg.sft.repeats
    return rows


def rl_tasks(cfg: RunConfig) -> list:
    tasks = []
    for slug in cfg.source:
        tasks += toolenv.get_category(slug, seed=cfg.world_seed).tasks("train", n=cfg.rl.train_tasks)
    return tasks
