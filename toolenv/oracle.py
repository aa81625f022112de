"""The oracle: a task's gold path written as ReAct actions.

Used to check that every task is solvable within the episode limits, and by toolpast as
supervised warm-up data (``oracle_conversation`` gives the exact chat an episode would
produce, observations included).
"""

from __future__ import annotations

from toolenv.episode import Episode
from toolenv.records import Book, EpisodeLimits, Task
from toolenv.suites import task_backend

__all__ = ["oracle_actions", "oracle_conversation"]


def oracle_actions(task: Task) -> list[str]:
    """Thought/Action/Action Input texts for each gold call, then the Finish (any suite: its backend's path)."""
    return task_backend(task).oracle_actions()


def oracle_conversation(task: Task, book: Book = "closed", limits: EpisodeLimits | None = None) -> list[dict[str, str]]:
    """The full chat of an oracle episode: prompt, actions and real observations.

    Without ``limits`` the step budget is the default or the oracle's length, whichever is larger.
    """
    actions = oracle_actions(task)
    limits = limits or EpisodeLimits(max_steps=max(EpisodeLimits().max_steps, len(actions)))
    ep = Episode(task, book=book, limits=limits)
    ep.reset()
    for action in actions:
        ep.step(action)
    return ep.messages
