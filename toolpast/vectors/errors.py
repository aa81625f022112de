"""Exceptions of the skill-vector module, so callers can tell bad inputs from bugs."""

from __future__ import annotations

from collections.abc import Sequence


class CheckpointFormatError(ValueError):
    """A directory is not a checkpoint we are willing to read (no safetensors, pickles only, broken index)."""


class SkillVectorMismatch(ValueError):
    """Two sets of weights that must line up tensor-for-tensor do not (raised before any output is written).

    `tensor` is the first offending tensor name (or `config.<field>`); `shapes` maps each side's label to its
    shape there, None where the tensor is missing on that side.
    """

    def __init__(self, tensor: str, shapes: dict[str, Sequence[int] | None] | None = None, detail: str = "") -> None:
        self.tensor = tensor
        self.shapes = {k: (tuple(v) if v is not None else None) for k, v in (shapes or {}).items()}
        parts = [
            f"{label} shape {list(shape)}" if shape is not None else f"missing in {label}"
            for label, shape in self.shapes.items()
        ]
        msg = f"tensor {tensor!r}: " + " vs ".join(parts) if parts else repr(tensor)
        if detail:
            msg += f" ({detail})" if parts else f": {detail}"
        super().__init__(msg)
