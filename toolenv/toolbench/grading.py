"""The solvable-path metric: success on real ToolBench queries without an LLM judge.

A query is solved when the agent (1) called every API of the query's ``relevant APIs``
with arguments valid against the docs and got a response, (2) finished with
``give_answer`` and (3) a non-empty answer that (4) states at least one value the calls
returned (``grounding``). The parts are reported apart in ``SolvablePath``; ``Grade`` maps
them onto toolenv's common record (``api_recall`` = share of relevant APIs called,
``answer_correct`` = non-empty and grounded, ``fact_recall`` = 1.0 when grounded).
"""

from __future__ import annotations

import json

from pydantic import BaseModel, Field

from toolenv.grading import Grade, step_rates
from toolenv.records import Task, Trajectory
from toolenv.toolbench.grounding import observation_evidence, stated_values

__all__ = ["SolvablePath", "solvable_path", "toolbench_grade"]


class SolvablePath(BaseModel):
    relevant_apis: list[str] = Field(description="Function names of the query's relevant APIs.")
    relevant_called: list[str] = Field(description="Those called with valid arguments and answered.")
    relevant_recall: float
    all_relevant_called: bool
    finished: bool = Field(description="Ended with a give_answer Finish.")
    answer_nonempty: bool
    grounded_values: list[str] = Field(description="Returned values the final answer states.")
    answer_grounded: bool
    success: bool


def solvable_path(task: Task, trajectory: Trajectory) -> SolvablePath:
    """The metric's parts for one episode (valid at any time; final once done)."""
    ok = [s for s in trajectory.steps if s.status == "ok" and s.call is not None]
    relevant = task.gold_apis
    called = [name for name in relevant if any(s.call.name == name for s in ok)]  # type: ignore[union-attr]
    answer = (trajectory.final_answer or "").strip()
    exclude = task.query + " " + " ".join(json.dumps(s.call.arguments) for s in ok)  # type: ignore[union-attr]
    values = stated_values(answer, observation_evidence([s.observation for s in ok], exclude)) if answer else []
    all_called = len(called) == len(relevant)
    return SolvablePath(relevant_apis=relevant, relevant_called=called,
                        relevant_recall=len(called) / len(relevant) if relevant else 1.0,
                        all_relevant_called=all_called, finished=trajectory.finished, answer_nonempty=bool(answer),
                        grounded_values=values, answer_grounded=bool(values),
                        success=all_called and trajectory.finished and bool(answer) and bool(values))


def toolbench_grade(task: Task, trajectory: Trajectory) -> Grade:
    """``solvable_path`` as a ``Grade`` (so rewards and reports work as for native tasks)."""
    path = solvable_path(task, trajectory)
    return Grade(
        success=path.success, finished=path.finished, gave_up=trajectory.gave_up,
        answer_correct=path.answer_nonempty and path.answer_grounded, world_correct=None,
        fact_recall=float(path.answer_grounded), api_recall=path.relevant_recall, **step_rates(trajectory),
    )
