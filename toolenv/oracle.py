"""The oracle: a task's gold path written as ReAct actions.

Used to check that every task is solvable within the episode limits, and by toolpast as
supervised warm-up data (``oracle_conversation`` gives the exact chat an episode would
produce, observations included).
"""

from __future__ import annotations

import json

from toolenv.category import functions_of, resolve_slug
from toolenv.episode import Episode
from toolenv.records import Book, EpisodeLimits, Task
from toolenv.suites import suite_module

__all__ = ["oracle_actions", "oracle_conversation"]


def oracle_actions(task: Task) -> list[str]:
    """Thought/Action/Action Input texts for each gold call, then the Finish (any suite)."""
    if task.source is not None:
        return suite_module(task.source.suite).oracle_actions(task)
    fns = functions_of(resolve_slug(task.category))
    out = [
        f"Thought: {fns[c.name].thought(c.arguments)}\nAction: {c.name}\nAction Input: {json.dumps(c.arguments)}"
        for c in task.gold_calls
    ]
    finish = {"return_type": "give_answer", "final_answer": task.gold_answer}
    out.append(f"Thought: I have all the information I need.\nAction: Finish\nAction Input: {json.dumps(finish)}")
    return out


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
