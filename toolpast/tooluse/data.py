"""Training data of each stage, drawn from toolenv: what each model is allowed to see.

- warm-up: closed-book oracle conversations on the warm-up categories only (the protocol, not the target);
- knowledge SFT, sft.data = docs: the categories' API-doc corpus as plain text, no trajectories;
- knowledge SFT, sft.data = docs+trajectories (the first author's two-stage protocol): stage 1 the API docs as
  prompt/response chats, stage 2 closed-book oracle trajectories of the category's own *train* tasks;
- RL: the source categories' training tasks (their test split is never touched).

Validation: the last `validation_tasks` of every category's train split are held out of every training stage
(trajectory SFT and RL draw from the front of the split; `check_validation_holdout` refuses an overlap). They are
what recipes are tuned on (eval.split = validation); the reported test split is never used for tuning. With
rl.select_every > 0 the rl.select_tasks before that tail are held out too: RL's policy is chosen on them.

Iterative skill refinement (RunConfig.refine_rounds = K) splits the source data into K disjoint parts: within
each source category, its RL training tasks (the first rl.train_tasks of its train split, in split order) and its
knowledge-doc corpus (in corpus order) are each dealt round-robin, item i to part i % K + 1. So every task and
every doc lands in exactly one part, parts differ in size by at most one item per category, each part sees
every task recipe and a share of every API's docs, and K = 1 gives back the full lists unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import toolenv
from toolenv.suites import SUITES
from toolpast.config import TrainConfig
from toolpast.stages.rounds import WHOLE, Part, subset  # noqa: F401  (the parts a run's data is dealt into)
from toolpast.tooluse.config import RunConfig


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


def _doc_rows(categories: list[str], cfg: RunConfig, part: Part, what: str, docs_of, row_of) -> list[dict]:
    """Part k of K of each category's docs in one SFT form, each repeated sft.repeats times."""
    rows = []
    for slug in categories:
        docs = subset(docs_of(suite_category(cfg, slug)), part, f"{what} in {slug}")
        rows += [row_of(doc) for doc in docs] * cfg.sft.repeats
    return rows


def knowledge_rows(categories: list[str], cfg: RunConfig, part: Part = WHOLE) -> list[dict]:
    """The docs protocol: the categories' docs corpora as plain text."""
    return _doc_rows(categories, cfg, part, "knowledge docs", lambda c: c.knowledge_corpus(),
                     lambda doc: {"text": doc})


def doc_pair_rows(categories: list[str], cfg: RunConfig, part: Part = WHOLE) -> list[dict]:
    """Stage 1 of the two-stage protocol: the categories' API docs as prompt/response chats."""
    return _doc_rows(categories, cfg, part, "doc pairs", lambda c: c.doc_pairs(), lambda chat: {"messages": chat})


def trajectory_rows(categories: list[str], cfg: RunConfig, part: Part = WHOLE) -> list[dict]:
    """Stage 2: closed-book oracle conversations of the first sft.trajectories.tasks_per_category train tasks
    (part k of K): the category's own demonstrations, never its test or validation tasks."""
    rows = []
    for slug in categories:
        tasks = suite_category(cfg, slug).tasks("train", n=cfg.sft.trajectories.tasks_per_category)
        rows += [{"messages": toolenv.oracle_conversation(task, book="closed")}
                 for task in subset(tasks, part, f"trajectory tasks in {slug}")]
    return rows


@dataclass(frozen=True)
class SFTStep:
    """One supervised stage of the knowledge protocol: its names, its rows and its settings."""

    what: str  # the progress label's head, e.g. "SFT 1/2 doc pairs"
    noun: str  # what one row is, for plans ("doc pairs")
    suffix: str  # appended to the knowledge stage's name ("" for the first, ":trajectories" for stage 2)
    rows: Callable[[], list[dict]]  # built when the stage runs (a reused stage never builds them)
    settings: TrainConfig


def knowledge_protocol(categories: list[str], cfg: RunConfig, part: Part = WHOLE) -> list[SFTStep]:
    """The knowledge SFT's stages under sft.data, each trained from the previous one's model: the docs corpus
    (one stage), or the prototype's two (doc pairs, then the categories' train trajectories). The pipeline's
    stages and `toolpast sft` both run this list."""
    if cfg.sft.data == "docs":
        return [SFTStep("SFT docs", "doc texts", "", lambda: knowledge_rows(categories, cfg, part), cfg.sft)]
    return [SFTStep("SFT 1/2 doc pairs", "doc pairs", "", lambda: doc_pair_rows(categories, cfg, part), cfg.sft),
            SFTStep("SFT 2/2 trajectories", "trajectories", ":trajectories",
                    lambda: trajectory_rows(categories, cfg, part), cfg.sft.trajectories)]


def front_draws(cfg: RunConfig, slug: str | None = None) -> dict[str, int]:
    """How many tasks from the front of a train split each training stage draws (setting -> n). With `slug`, only
    the stages that can draw from that category (the warm-up from its own categories alone); RL's count is kept for
    every category, which errs on the safe side."""
    draws = {"rl.train_tasks": cfg.rl.train_tasks}
    if cfg.sft.data == "docs+trajectories":
        draws["sft.trajectories.tasks_per_category"] = cfg.sft.trajectories.tasks_per_category
    if cfg.warmup.enabled and (slug is None or slug in cfg.warmup.categories):
        draws["warmup.tasks_per_category"] = cfg.warmup.tasks_per_category
    return draws


def check_validation_holdout(cfg: RunConfig) -> None:
    """Fail before any training when a training stage would draw from the validation tail of a train split."""
    if not SUITES[cfg.suite].trajectories or not cfg.validation_tasks:
        return
    size = toolenv.get_category(cfg.target, seed=cfg.world_seed).sizes["train"]
    held = cfg.validation_tasks + (cfg.rl.select_tasks if cfg.rl.select_every else 0)
    free = size - held
    for name, n in front_draws(cfg).items():
        if n > free:
            raise ValueError(f"{name}={n} would reach into the last {held} tasks of the {size}-task train split "
                             f"(validation_tasks={cfg.validation_tasks}"
                             + (f" and rl.select_tasks={cfg.rl.select_tasks}" if cfg.rl.select_every else "")
                             + f"), which are held out of training; use at most {free}")


def category_tasks(cfg: RunConfig, slug: str) -> list:
    """The evaluation tasks of a category: the first eval.tasks of its test split, or (eval.split = validation)
    of the held-out tail of its train split."""
    category = suite_category(cfg, slug)
    if cfg.eval.split == "test":
        return category.tasks("test", n=cfg.eval.tasks)
    if not cfg.validation_tasks:
        raise ValueError("eval.split=validation needs validation_tasks > 0")
    return category.tasks("train")[-cfg.validation_tasks:][:cfg.eval.tasks]


def selection_tasks(cfg: RunConfig, categories: list[str]) -> list:
    """The tasks RL's policy choice is made on (rl.select_every > 0): per category the rl.select_tasks just before
    the validation tail of its train split, so neither a training stage nor the reported validation rows see them."""
    tasks = []
    for slug in categories:
        split = suite_category(cfg, slug).tasks("train")
        end = len(split) - cfg.validation_tasks
        tasks += split[max(0, end - cfg.rl.select_tasks):end]
    return tasks


def untrained_tasks(cfg: RunConfig, slug: str) -> list:
    """Every train-split task of a category that no stage of this config trains on (RL's and stage-2 SFT's front
    of the split, the warm-up's if the category is a warm-up category) or chooses on (a source's selection tasks
    under rl.select_every: the chosen policy is the best on them, so they would favour RL): the validation tail
    and the unused middle. A larger held-out set than the validation tasks, for diagnostics; never the test
    split."""
    tasks = suite_category(cfg, slug).tasks("train")[max(front_draws(cfg, slug).values()):]
    if cfg.rl.select_every and slug in cfg.source:
        chosen_on = {task.id for task in selection_tasks(cfg, [slug])}
        tasks = [task for task in tasks if task.id not in chosen_on]
    return tasks


def eval_tasks(cfg: RunConfig) -> list:
    """The target's held-out evaluation tasks (see category_tasks)."""
    return category_tasks(cfg, cfg.target)


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
