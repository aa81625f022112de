"""Adapter for TRL's ``GRPOTrainer(environment_factory=...)`` (TRL 1.16).

TRL builds instances once and reuses them across rollouts, calling ``reset(**dataset_row)``
first (the returned string is appended to the last user message); it exposes every other
public method as a tool to the chat template and scores the rollout with ``get_reward()``.
So this class has exactly two tools, ``call_api`` (a dispatcher over the category's APIs)
and ``finish``, with Google-style docstrings that ``transformers.utils.get_json_schema``
accepts. Any new public method would become a tool too: keep helpers private.

    from functools import partial
    trainer = GRPOTrainer(model, train_dataset=Dataset.from_list(dataset_rows("finance", "train")),
                          environment_factory=partial(ToolEnvironment, book="closed"), ...)
"""

from __future__ import annotations

import json
from typing import Any

from toolenv.category import get_task
from toolenv.episode import Episode
from toolenv.grading import RewardWeights
from toolenv.prompts import tool_calling_prompt
from toolenv.records import Book, EpisodeLimits, Split, Task
from toolenv.suites import get_category

__all__ = ["ToolEnvironment", "dataset_rows", "task_from_row"]


def task_from_row(row: dict[str, Any], default_seed: int = 0) -> Task:
    """The task a dataset row refers to: a ``task`` column (dict or JSON) or ``task_id`` (+ ``seed``)."""
    if row.get("task") is not None:
        task = row["task"]
        return Task.model_validate_json(task) if isinstance(task, str) else Task.model_validate(task)
    if row.get("task_id") is not None:
        return get_task(str(row["task_id"]), int(row.get("seed", default_seed)))
    raise ValueError("dataset rows need a 'task_id' column (optionally 'seed') or a 'task' column")


def dataset_rows(category: str, split: Split, *, seed: int = 0, book: Book = "closed",
                 n: int | None = None) -> list[dict[str, Any]]:
    """GRPO rows: a system prompt and an empty user turn that ``reset`` fills with the query."""
    cat = get_category(category, seed)
    system = tool_calling_prompt(book, cat.docs_text())
    return [{"prompt": [{"role": "system", "content": system}, {"role": "user", "content": ""}],
             "task_id": t.id, "seed": seed} for t in cat.tasks(split, n)]


class ToolEnvironment:
    """One rollout: ``reset`` picks the task, the model calls tools, ``get_reward`` grades."""

    def __init__(self, seed: int = 0, book: Book = "closed", limits: EpisodeLimits | None = None,
                 weights: RewardWeights | None = None) -> None:
        self._seed = seed
        self._book: Book = book
        self._limits = limits
        self._weights = weights
        self._episode: Episode | None = None

    @property
    def episode(self) -> Episode | None:
        return self._episode

    def reset(self, **kwargs: Any) -> str:
        task = task_from_row(kwargs, self._seed)
        self._episode = Episode(task, book=self._book, limits=self._limits)
        self._episode.reset()
        return task.query

    def call_api(self, name: str, arguments: str) -> str:
        """Call one API of the current category.

        Args:
            name: The API's function name, in the form <api_name>_for_<tool_name>.
            arguments: The API's arguments as a JSON object string, e.g. '{"limit": 3}'.

        Returns:
            The API's JSON reply: {"error": "", "response": ...} or an error message.
        """
        if self._episode is None:
            return json.dumps({"error": "No task: reset() was not called.", "response": ""})
        return self._episode.call(name, arguments).text

    def finish(self, answer: str) -> str:
        """Submit the final answer and end the episode.

        Args:
            answer: The complete answer to the user's request, stating every requested value.

        Returns:
            A confirmation that the answer was received.
        """
        if self._episode is None:
            return json.dumps({"error": "No task: reset() was not called.", "response": ""})
        return self._episode.call("Finish", {"return_type": "give_answer", "final_answer": answer}).text

    def get_reward(self) -> float:
        """The shaped reward of the episode so far (1.0 only for a solved task)."""
        return self._episode.grade().reward(self._weights) if self._episode is not None else 0.0
