"""Rung 0 of the diagnostic ladder: can the oracle itself solve each task under the configured budget?

A rollout enforces three limits: model turns (one action each, Finish included), new tokens per turn, and the
model's context. Scores measured under a budget that cuts the gold path off measure the budget, not the model
(4 turns x 64 tokens once cut a third of the test tasks). So each task's oracle is replayed exactly as
`toolpast.rollout.episodes.run_episodes` would play a model that emitted the oracle's token ids: the prompt
through the chat template, each action tokenized by the model's tokenizer and cut at `max_new_tokens`, the
turn's stop token, the observation spliced in with the template's wrappers, and the episode graded by toolenv.
A task is feasible when that episode succeeds and its longest sequence fits the context.

Cheap (tokenizing, no model): every command that trains or reports on tasks measures it at start-up, prints the
share and refuses a budget under which a reported task is infeasible (`--allow-infeasible` overrides it and the
entry records it).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field

import toolenv
from toolenv.oracle import oracle_actions
from toolpast.rollout.chat_tokens import ChatTokens


@dataclass(frozen=True)
class Budget:
    """The limits one rollout runs under: model turns, new tokens per turn, and the model's context (None:
    unbounded)."""

    max_turns: int
    max_new_tokens: int
    max_context: int | None = None

    def describe(self) -> str:
        context = f", context {self.max_context}" if self.max_context else ""
        return f"{self.max_turns} turns x {self.max_new_tokens} new tokens{context}"


class TaskFit(BaseModel):
    """One task's oracle replayed under a budget: what it needs, and whether it still succeeds."""

    task_id: str
    category: str
    steps: int = Field(description="Oracle actions, Finish included: the turns the gold path needs.")
    longest_action_tokens: int = Field(description="New tokens of the oracle's longest turn (stop token excluded).")
    peak_context_tokens: int = Field(description="The longest sequence the full oracle episode reaches.")
    solved: bool = Field(description="The replayed episode, cut by the budget, is graded a success.")
    fits_context: bool
    reasons: list[str] = Field(default_factory=list, description="Why it is infeasible; empty when feasible.")

    @property
    def feasible(self) -> bool:
        return self.solved and self.fits_context


def _play(task, turns: list[list[int]], budget: Budget, chat: ChatTokens, book: str) -> tuple[bool, int]:
    """Play the oracle's turns (token ids) as model turns under `budget`, as run_episodes does: (graded success,
    longest sequence)."""
    episode = toolenv.Episode(task, book=book, limits=toolenv.EpisodeLimits(max_steps=budget.max_turns))
    ids = chat.prompt_ids(episode.reset())
    peak = len(ids)
    for turn, new in enumerate(turns[:budget.max_turns]):
        if episode.done:
            break
        sampled = new[:budget.max_new_tokens]
        ids += sampled + [chat.eos_id]  # the stop token, sampled or appended to a cut-off turn
        peak = max(peak, len(ids))
        episode.step(chat.turn_text(sampled))
        if not episode.done and turn + 1 < budget.max_turns:
            ids += chat.observation_ids(episode.messages[-1]["content"])
    return episode.grade().success, peak


def replay(task, budget: Budget, chat: ChatTokens, book: str = "closed") -> TaskFit:
    """Replay `task`'s oracle under `budget`, token-exact (see the module docstring), and uncut for its needs."""
    turns = [chat.tokenizer.encode(action, add_special_tokens=False) for action in oracle_actions(task)]
    longest = max(map(len, turns), default=0)
    _, needed_context = _play(task, turns, Budget(len(turns), max(longest, 1)), chat, book)
    solved, peak = _play(task, turns, budget, chat, book)
    fits = budget.max_context is None or peak <= budget.max_context
    reasons = []
    if len(turns) > budget.max_turns:
        reasons.append(f"needs {len(turns)} turns")
    if longest > budget.max_new_tokens:
        reasons.append(f"a turn of {longest} tokens")
    if not fits:
        reasons.append(f"context {peak} > {budget.max_context}")
    if not solved and not reasons:
        reasons.append("the oracle fails under these limits")
    if solved and fits:
        reasons = []  # cut where the grader does not look (e.g. the tail of a long Finish answer)
    return TaskFit(task_id=task.id, category=task.category, steps=len(turns), longest_action_tokens=longest,
                   peak_context_tokens=needed_context, solved=solved, fits_context=fits, reasons=reasons)


class GroupFeasibility(BaseModel):
    """Rung 0 for one group of tasks (a category's reported tasks, or a stage's training tasks)."""

    name: str = Field(description="What the tasks are, e.g. 'finance test[:60]' or 'RL movies train'.")
    setting: str = Field("eval", description="The config section whose budget the tasks run under: eval or rl.")
    budget: str
    tasks: int
    feasible: int
    needs_turns: int = Field(description="Most turns any task's oracle needs.")
    needs_new_tokens: int = Field(description="Longest oracle turn, in new tokens.")
    needs_context: int = Field(description="Longest oracle episode, in tokens.")
    infeasible: list[str] = Field(default_factory=list, description="'task_id: reasons' of each infeasible task.")

    @property
    def share(self) -> float:
        return self.feasible / self.tasks if self.tasks else 1.0

    def line(self) -> str:
        return (f"{self.name:<34} {self.feasible:>4}/{self.tasks:<4} feasible ({100 * self.share:5.1f}%) under "
                f"{self.budget}; the oracle needs {self.needs_turns} turns x {self.needs_new_tokens} tokens")


_REPLAYED: dict[tuple, TaskFit] = {}  # one replay per task, budget, book and tokenizer in a process (a sweep asks
# again per seed and per entry)


def group_feasibility(name: str, tasks: list, budget: Budget, chat: ChatTokens, book: str = "closed",
                      setting: str = "eval") -> GroupFeasibility:
    fits = []
    for task in tasks:
        key = (task.id, task.seed, task.query, budget, book, chat.tokenizer.name_or_path, len(chat.tokenizer))
        if key not in _REPLAYED:
            _REPLAYED[key] = replay(task, budget, chat, book)
        fits.append(_REPLAYED[key])
    return GroupFeasibility(
        name=name, setting=setting, budget=budget.describe(), tasks=len(fits), feasible=sum(f.feasible for f in fits),
        needs_turns=max((f.steps for f in fits), default=0),
        needs_new_tokens=max((f.longest_action_tokens for f in fits), default=0),
        needs_context=max((f.peak_context_tokens for f in fits), default=0),
        infeasible=[f"{f.task_id}: {', '.join(f.reasons)}" for f in fits if not f.feasible])


def by_category(name: str, tasks: list, budget: Budget, chat: ChatTokens,
                setting: str = "eval") -> list[GroupFeasibility]:
    """One group per category of `tasks`, in first-seen order; `name` is formatted with the category."""
    grouped: dict[str, list] = defaultdict(list)
    for task in tasks:
        grouped[task.category].append(task)
    return [group_feasibility(name.format(category=c), ts, budget, chat, setting=setting)
            for c, ts in grouped.items()]


class InfeasibleBudget(ValueError):
    """A reported task cannot be solved by the oracle under the configured budget: its score would measure the
    budget, not the model."""


def refuse_infeasible(groups: list[GroupFeasibility]) -> None:
    """Raise InfeasibleBudget naming the groups that fall short and, per config section, the budget every one of
    its tasks fits (the --set options to write), or the override."""
    short = [g for g in groups if g.feasible < g.tasks]
    if not short:
        return
    worst = ", ".join(f"{g.name} {g.feasible}/{g.tasks}" for g in short[:4]) + (" ..." if len(short) > 4 else "")
    fixes = []
    for setting in dict.fromkeys(g.setting for g in short):
        mine = [g for g in groups if g.setting == setting]
        fixes.append(f"--set {setting}.max_turns={max(g.needs_turns for g in mine)} "
                     f"--set {setting}.max_new_tokens={max(g.needs_new_tokens for g in mine)}")
    raise InfeasibleBudget(f"the oracle cannot solve every task under the configured budget ({worst}); the least "
                           f"budget they all fit: {' '.join(fixes)} (plus slack for a model's detours), or pass "
                           "--allow-infeasible (recorded in the entries)")


def budget_of(settings, max_context: int | None) -> Budget:
    """The budget of an EvalConfig or RLConfig (both carry max_turns and max_new_tokens)."""
    return Budget(settings.max_turns, settings.max_new_tokens, max_context)


def model_context(model_dir) -> int | None:
    """The context a model's positions allow (config.json's max_position_embeddings), None if it does not say."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = config.get("max_position_embeddings")
    return int(value) if isinstance(value, int) and value > 0 else None


def run_groups(cfg, chat: ChatTokens, max_context: int | None, targets: list[str] | None = None,
               evaluation: bool = True, rl: bool = True) -> list[GroupFeasibility]:
    """Rung 0 of a run (targets None: cfg.target) or a sweep (its `targets`, and the sources' own tasks its ladder
    scores): every reported evaluation under the eval budget, closed book, and open book where that variant is
    scored (its prompt is longer), the RL policy choice's selection tasks (eval budget) and the RL tasks (RL
    budget)."""
    from toolpast.tooluse.data import category_tasks, rl_tasks, selection_tasks

    groups, split = [], cfg.eval.split
    evals = budget_of(cfg.eval, max_context)
    if evaluation:
        sources = cfg.source if targets is not None else []  # a sweep's ladder scores the sources on their own tasks
        for slug in dict.fromkeys([*(targets or [cfg.target]), *sources]):
            tasks = category_tasks(cfg, slug)
            groups.append(group_feasibility(f"{slug} {split}[:{len(tasks)}]", tasks, evals, chat))
            if "open_book" in cfg.eval.variants and slug in (targets or [cfg.target]):
                groups.append(group_feasibility(f"{slug} {split}[:{len(tasks)}] open book", tasks, evals, chat,
                                                book="open"))
    if rl:
        groups += by_category("RL {category} train", rl_tasks(cfg), budget_of(cfg.rl, max_context), chat, "rl")
        if cfg.rl.select_every:
            groups += by_category("RL choice {category} train", selection_tasks(cfg, cfg.source), evals, chat)
    return groups


def check_budget(cfg, model_dir, targets: list[str] | None = None, evaluation: bool = True, rl: bool = True,
                 say=print) -> list[GroupFeasibility]:
    """Measure rung 0 of a run with the model's own tokenizer (see run_groups) and enforce it (see enforce)."""
    return enforce(cfg, run_groups(cfg, chat_of(model_dir), model_context(model_dir), targets, evaluation, rl), say)


@functools.cache
def _chat(model_dir: str) -> ChatTokens:
    from toolpast.models import load_tokenizer

    return ChatTokens(load_tokenizer(Path(model_dir)))


def chat_of(model_dir) -> ChatTokens:
    """The model's chat tokens, loaded once per process."""
    return _chat(str(model_dir))


def enforce(cfg, groups: list[GroupFeasibility], say=print) -> list[GroupFeasibility]:
    """Print one line per group and refuse an infeasible budget unless cfg.allow_infeasible (then the shortfall is
    printed as a warning, and the entries record it)."""
    for group in groups:
        say(f"rung 0: {group.line()}")
    if cfg.allow_infeasible:
        short = sum(g.tasks - g.feasible for g in groups)
        if short:
            say(f"rung 0: warning: {short} tasks are infeasible under the budget; allow_infeasible is set, so their "
                "scores measure the budget, not the model")
        return groups
    refuse_infeasible(groups)
    return groups


def entry_group(cfg, model_dir, category: str, book: str) -> GroupFeasibility:
    """Rung 0 of one evaluation: its category's evaluated tasks under the eval budget (replays cached), with the
    tokenizer of `model_dir` (a run passes its base model's: every variant trained from it keeps its tokenizer)."""
    from toolpast.tooluse.data import category_tasks

    tasks = category_tasks(cfg, category)
    return group_feasibility(f"{category} {cfg.eval.split}[:{len(tasks)}]", tasks,
                             budget_of(cfg.eval, model_context(model_dir)), chat_of(model_dir), book=book)


def entry_record(group: GroupFeasibility, cfg):
    """What a leaderboard entry (and `toolpast eval`'s metrics.json) records of an evaluation's rung 0."""
    from toolpast.leaderboard.schema import Feasibility

    return Feasibility(**group.model_dump(include=set(Feasibility.model_fields)),
                       allow_infeasible=cfg.allow_infeasible)


def suite_groups(cfg, model_dir, categories: list[str], splits: list[str], budget: Budget) -> list[GroupFeasibility]:
    """Rung 0 of whole splits of a suite's categories under one budget (`toolpast feasibility`): what a budget
    cuts off before any run is planned on it."""
    from toolpast.tooluse.data import suite_category

    chat = chat_of(model_dir)
    return [group_feasibility(f"{slug} {split}", suite_category(cfg, slug).tasks(split), budget, chat)
            for slug in categories for split in splits]
