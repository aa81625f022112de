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


class PartialVectorError(SkillVectorMismatch):
    """The vector leaves float tensors of the model untouched (e.g. a 2-layer vector into a 3-layer model).

    Raised before anything is written, unless the caller asked for a partial injection (`allow_partial=True`,
    `--allow-partial`), e.g. for a LoRA vector, which covers only the adapter's target modules.
    """

    def __init__(self, uncovered: Sequence[str], float_tensors: int) -> None:
        self.uncovered = list(uncovered)
        self.tensor = self.uncovered[0]
        self.shapes = {}
        more = len(self.uncovered) - 4
        shown = ", ".join(self.uncovered[:4]) + (f" and {more} more" if more > 0 else "")
        ValueError.__init__(
            self,
            f"the skill vector does not cover {len(self.uncovered)} of the model's {float_tensors} float tensors "
            f"({shown}); pass allow_partial=True (CLI: --allow-partial) to inject anyway and copy those unchanged",
        )


class NonFiniteWeights(ValueError):
    """An operation would write inf or nan: `lambda * v` overflows float32, or the injected weights overflow the
    target's dtype (float16 tops out at 65504), or an input already holds non-finite values."""

    def __init__(self, tensor: str, what: str) -> None:
        self.tensor, self.what = tensor, what
        super().__init__(f"tensor {tensor!r}: {what}; refusing to write non-finite weights")


class NonFiniteModel(NonFiniteWeights):
    """A model holds inf or nan where it would be published (a stage's model) or used (a checkpoint loaded, weights
    injected in memory): refused with where it happened, the first bad tensor and the likely cause."""

    def __init__(self, where: str, tensor: str, cause: str) -> None:
        self.where, self.tensor, self.what = where, tensor, cause
        ValueError.__init__(self, f"{where}: tensor {tensor!r} holds inf or nan; {cause}")
