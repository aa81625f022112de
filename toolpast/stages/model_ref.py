"""A model a stage starts from or evaluates, named the way later stage specs record it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolpast.artifacts import Artifact
from toolpast.stages.runner import build_id


@dataclass(frozen=True)
class Model:
    """A checkpoint to start from or evaluate, with the reference that later stage keys record for it."""

    path: Path
    ref: str | dict  # a stage build id, or the spec of a model no stage built (the raw --model)

    @classmethod
    def of(cls, artifact: Artifact) -> Model:
        """The model a training or injection stage saved (its `model/` directory), named by its build id."""
        return cls(artifact.path / "model", build_id(artifact))
