"""Grades computed from episode state, and the shaped reward derived from them.

Success is binary and strict: the episode finished with ``give_answer``, the answer states
every gold fact, and, for tasks that change the world, the final world equals the world
the gold path produces (no missing, wrong or extra bookings). The components are reported
separately so RL can shape its reward from them; ``Grade.reward`` gives 1.0 for success
and otherwise a capped weighted mean, so no amount of partial credit rivals solving.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from toolenv.records import Trajectory

__all__ = ["RewardWeights", "Grade", "step_rates"]

_VALID = frozenset({"ok", "api_error", "finish", "give_up"})
_PARSED = _VALID | {"invalid_call"}


class RewardWeights(BaseModel):
    """Weights of the partial-credit components (normalised to sum to 1 before use)."""

    format: float = Field(0.05, ge=0, description="Share of steps that parsed as an action.")
    valid_call: float = Field(0.10, ge=0, description="Share of steps that were valid calls or a valid Finish.")
    api_recall: float = Field(0.35, ge=0, description="Share of the gold APIs called without error.")
    finished: float = Field(0.05, ge=0, description="The episode ended with a give_answer Finish.")
    fact_recall: float = Field(0.35, ge=0, description="Share of the gold facts stated in the final answer.")
    world: float = Field(0.10, ge=0, description="Final world equals the gold world (mutating tasks only).")
    partial_cap: float = Field(0.5, ge=0, le=1, description="Partial credit is scaled into [0, partial_cap].")


class Grade(BaseModel):
    """Outcome of one episode."""

    success: bool = Field(description="finished and answer_correct and world_correct is not False.")
    finished: bool = Field(description="Ended with a give_answer Finish.")
    gave_up: bool
    answer_correct: bool = Field(description="The final answer states every gold fact.")
    world_correct: bool | None = Field(description="Final world == gold world; None for read-only tasks.")
    fact_recall: float
    format_rate: float = Field(description="Share of steps that parsed as an action.")
    valid_call_rate: float = Field(description="Share of steps that were valid calls or a valid Finish.")
    api_recall: float = Field(description="Share of gold APIs called successfully at least once.")
    n_steps: int
    n_errors: int = Field(description="Steps whose observation was an error.")

    def reward(self, weights: RewardWeights | None = None) -> float:
        """1.0 on success, else ``partial_cap`` x the weighted mean of the components."""
        if self.success:
            return 1.0
        w = weights or RewardWeights()
        parts = [
            (w.format, self.format_rate),
            (w.valid_call, self.valid_call_rate),
            (w.api_recall, self.api_recall),
            (w.finished, float(self.finished)),
            (w.fact_recall, self.fact_recall),
        ]
        if self.world_correct is not None:
            parts.append((w.world, float(self.world_correct)))
        total = sum(weight for weight, _ in parts)
        if total <= 0:
            return 0.0
        return w.partial_cap * sum(weight * value for weight, value in parts) / total


def step_rates(trajectory: Trajectory) -> dict[str, float | int]:
    """The protocol components every suite grades alike: ``format_rate``, ``valid_call_rate``, ``n_steps``,
    ``n_errors`` (the ``Grade`` fields of those names)."""
    statuses = [s.status for s in trajectory.steps]
    n = len(statuses)
    return {"format_rate": sum(s in _PARSED for s in statuses) / n if n else 0.0,
            "valid_call_rate": sum(s in _VALID for s in statuses) / n if n else 0.0,
            "n_steps": n, "n_errors": sum(s.error for s in trajectory.steps)}
