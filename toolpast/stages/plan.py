"""A run's stage plan, made by running the suite's own stage builders against a runner that builds nothing.

`--dry-run` must describe what the run will do, and a second description of the pipeline drifts from the first
the day one of them changes. So a plan is not written anywhere: the suite calls the same builders as a real run,
with a `PlanningRunner` in place of `runner.Runner`. It records each stage in call order (name, the `about` the
builder gave: data, steps, batch) and hands back a stand-in artifact whose id and path downstream stages can name;
nothing is trained, read or written, and the stage's result check is not run (there is no result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from toolpast.artifacts import stage_key


@dataclass(frozen=True)
class PlannedStage:
    """One stage as a plan shows it; the counts are None where they mean nothing (a vector, an injection)."""

    stage: str
    data: str = ""
    rows: int | None = None  # training sequences (or RL tasks) the stage draws from
    steps: int | None = None
    batch: int | None = None  # sequences (episodes) per optimizer step, all devices together

    @property
    def epochs(self) -> float | None:
        if not (self.rows and self.steps and self.batch):
            return None
        return self.steps * min(self.batch, self.rows) / self.rows


About = Callable[[], PlannedStage]  # what a builder says of its stage for a plan (called by PlanningRunner only)


class PlannedArtifact:
    """Stands in for a stage's artifact in a plan: a key derived from the spec, a path no one reads, no outputs."""

    def __init__(self, kind: str, spec: dict):
        self.key = stage_key(kind, spec)
        self.path = Path("<planned>") / kind / self.key
        self.outputs: dict[str, Any] = {}


class PlanningRunner:
    """A runner with `Runner.stage`'s signature that records the plan instead of building: `stages` in call order.
    A stage asked for twice (a sweep's shared stages) is recorded once, as the real runner builds it once."""

    def __init__(self) -> None:
        self.stages: list[PlannedStage] = []
        self._seen: dict[tuple[str, str], PlannedArtifact] = {}

    def stage(self, name: str, spec: dict, fn, check=None, about: About | None = None) -> PlannedArtifact:
        kind = name.split(":")[0]
        artifact = PlannedArtifact(kind, spec)
        if (kind, artifact.key) in self._seen:
            return self._seen[(kind, artifact.key)]
        self._seen[(kind, artifact.key)] = artifact
        self.stages.append(replace(about(), stage=name) if about else PlannedStage(name))
        return artifact

    def take(self) -> list[PlannedStage]:
        """The stages recorded since the last take (a plan in parts: the source stages, then one target's)."""
        taken, self.stages = self.stages, []
        return taken
