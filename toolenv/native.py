"""The ``native`` suite: toolenv's generated categories, each a seeded world graded from state.

``NativeSuite`` opens ``Category`` objects (options: ``train_size``, ``test_size``); ``NativeBackend``
runs one task on a copy-on-write state of its split's world and grades it: every gold fact stated in
a ``give_answer`` and, for act tasks, the final world equal to the world the gold path produces.
"""

from __future__ import annotations

import json
from functools import cache

from toolenv.answers import fact_recall
from toolenv.categories import SPECS
from toolenv.category import (
    TEST_SIZE,
    TRAIN_SIZE,
    Category,
    category_at,
    docs_of,
    functions_of,
    resolve_slug,
    world_of,
)
from toolenv.functions import Function
from toolenv.grading import Grade, step_rates
from toolenv.records import Task, Trajectory
from toolenv.world import WorldState

__all__ = ["NATIVE", "NativeSuite", "NativeBackend", "native_suite"]

NATIVE = "native"


class NativeBackend:
    """One native task: its category's functions, its split's world, the docs and the state-based grader."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self._slug = resolve_slug(task.category)
        self.functions: dict[str, Function] = functions_of(self._slug)
        self._world = world_of(self._slug, task.seed, task.split)

    def state(self) -> WorldState:
        return self._world.state()

    def gold_state(self) -> WorldState:
        state = self._world.state()
        for c in self.task.gold_calls:
            fn = self.functions[c.name]
            fn.run(state, fn.bind(c.arguments))
        return state

    def docs(self) -> str:
        return docs_of(self._slug)

    def grade(self, trajectory: Trajectory, state: WorldState | None) -> Grade:
        task = self.task
        finished = trajectory.final_answer is not None
        recall = fact_recall(task.gold_facts, trajectory.final_answer) if finished else 0.0
        world = state.same_as(self.gold_state()) if task.mutates and state is not None else None
        answer_ok = finished and recall == 1.0
        called = {s.call.name for s in trajectory.steps if s.status == "ok" and s.call is not None}
        gold = task.gold_apis
        return Grade(
            success=answer_ok and world is not False, finished=finished, gave_up=trajectory.gave_up,
            answer_correct=answer_ok, world_correct=world, fact_recall=recall,
            api_recall=len(called.intersection(gold)) / len(gold) if gold else 1.0, **step_rates(trajectory),
        )

    def oracle_actions(self) -> list[str]:
        fns = self.functions
        out = [
            f"Thought: {fns[c.name].thought(c.arguments)}\nAction: {c.name}\nAction Input: {json.dumps(c.arguments)}"
            for c in self.task.gold_calls
        ]
        finish = {"return_type": "give_answer", "final_answer": self.task.gold_answer}
        out.append(f"Thought: I have all the information I need.\nAction: Finish\nAction Input: {json.dumps(finish)}")
        return out


class NativeSuite:
    """The generated categories; ``train_size``/``test_size`` set how many tasks each split generates."""

    name = NATIVE
    trajectories = True
    probes = True
    option_names = ("train_size", "test_size")

    def __init__(self, train_size: int = TRAIN_SIZE, test_size: int = TEST_SIZE) -> None:
        self.train_size, self.test_size = int(train_size), int(test_size)

    @classmethod
    def open(cls, train_size: int = TRAIN_SIZE, test_size: int = TEST_SIZE) -> NativeSuite:
        return native_suite(int(train_size), int(test_size))

    def list_categories(self) -> list[str]:
        return list(SPECS)

    def category(self, name: str, seed: int = 0) -> Category:
        return category_at(resolve_slug(name), int(seed), self.train_size, self.test_size)

    @classmethod
    def backend(cls, task: Task) -> NativeBackend:
        return NativeBackend(task)


@cache
def native_suite(train_size: int = TRAIN_SIZE, test_size: int = TEST_SIZE) -> NativeSuite:
    return NativeSuite(train_size, test_size)
