"""Public records: tasks, calls, episode limits, observations and trajectories.

Everything persisted or handed to other packages is a pydantic model (JSON round-trips,
schema-checked). ``Observation`` is the exception: it is created on every step, so it is
a slotted dataclass that costs nothing to build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Split", "TaskKind", "Book", "ToolCall", "TaskSource", "Task", "EpisodeLimits", "Observation",
    "StepStatus", "TrajectoryStep", "Trajectory",
]

Split = Literal["train", "test"]
TaskKind = Literal["G1", "G2_intra", "G2_cross", "act"]
Book = Literal["closed", "open"]
StepStatus = Literal["ok", "api_error", "invalid_call", "parse_error", "too_long", "finish", "give_up"]


class ToolCall(BaseModel):
    """One API call: the normalised function name and its JSON arguments."""

    model_config = ConfigDict(frozen=True)

    name: str
    arguments: dict[str, Any]


class TaskSource(BaseModel):
    """Where a task of another suite (e.g. real ToolBench queries) comes from: enough to rebuild its
    simulator in any process. Native tasks have none."""

    model_config = ConfigDict(frozen=True)

    suite: str = Field(description="Suite name, e.g. 'stabletoolbench'.")
    options: dict[str, Any] = Field(description="The suite's options (data folder, response mode, ...).")
    key: str = Field(description="The query's key in the suite's data, e.g. 'G1_instruction/87064'.")


class Task(BaseModel):
    """A query with its gold path and the facts a correct answer must state (frozen: tasks are cached)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id, e.g. 'finance/test/0007'.")
    category: str = Field(description="Category slug.")
    split: Split
    seed: int = Field(description="Category seed; with the split it fixes the world.")
    kind: TaskKind = Field(description="G1 single API, G2 within/across tools, act = changes the world.")
    recipe: str = Field(description="Task shape, e.g. 'field_by_name' or 'create_for_child'.")
    query: str
    gold_calls: list[ToolCall]
    gold_facts: list[str] = Field(description="Every fact the final answer must contain.")
    gold_answer: str = Field(description="A reference answer that states every gold fact.")
    mutates: bool = Field(description="True when success also requires the right final world.")
    source: TaskSource | None = Field(None, description="None for native tasks; else the suite the task is from.")

    @property
    def gold_apis(self) -> list[str]:
        """Distinct gold function names, in call order."""
        return list(dict.fromkeys(c.name for c in self.gold_calls))


class EpisodeLimits(BaseModel):
    """Budgets that keep episodes short enough for small models' contexts."""

    max_steps: int = Field(6, ge=1, description="Steps (calls and Finish) before the episode ends unsolved.")
    max_action_chars: int = Field(2000, ge=1, description="Longer actions get an error observation.")
    max_observation_chars: int = Field(1500, ge=64, description="Observations are cut to this length.")


@dataclass(slots=True)
class Observation:
    """What the environment returns for one action."""

    text: str
    done: bool
    error: bool


class TrajectoryStep(BaseModel):
    action: str = Field(description="The model's text, verbatim.")
    call: ToolCall | None = Field(description="The parsed call (Finish included), if parsing succeeded.")
    observation: str
    error: bool
    status: StepStatus


class Trajectory(BaseModel):
    """The full, JSON-serialisable record of one episode."""

    task_id: str
    category: str
    split: Split
    book: Book
    steps: list[TrajectoryStep]
    final_answer: str | None
    finished: bool = Field(description="Ended with a give_answer Finish.")
    gave_up: bool
    done: bool
