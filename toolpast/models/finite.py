"""No weights holding inf or nan are published or used: the check every stage model passes before it is written
(`stages/training._write_model`) and every checkpoint passes when it is loaded (`provider.load_model`).

One nan in one weight poisons everything after it, silently: every generation, v = rl - sft and each injection of
it, while the stages downstream still run and score zero. The weights are read as they are already held (a state
dict before it is saved, a loaded model), one tensor and one chunk of it at a time: a finite sum proves a chunk
finite (an inf or nan makes the sum inf or nan), so only a chunk whose sum is not (huge finite values can overflow
it) is tested element by element, and nothing the size of the model is ever allocated (7B: seconds, once).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from toolpast.vectors.errors import NonFiniteModel

if TYPE_CHECKING:
    import torch

CHUNK = 1 << 24  # elements per sum: bounds the temporary of the element-wise test (16 MiB of bools)


def is_finite(tensor: torch.Tensor) -> bool:
    """Whether every element of a floating tensor is finite."""
    import torch

    for chunk in tensor.detach().reshape(-1).split(CHUNK):
        if not torch.isfinite(chunk.sum()) and not torch.isfinite(chunk).all():
            return False
    return True


def first_nonfinite(tensors: Iterable[tuple[str, torch.Tensor]]) -> str | None:
    """The name of the first floating tensor holding inf or nan, or None."""
    return next((name for name, tensor in tensors if tensor.is_floating_point() and not is_finite(tensor)), None)


def check_finite(tensors: Iterable[tuple[str, torch.Tensor]], where: str, cause: str) -> None:
    """Raise NonFiniteModel naming `where`, the first tensor holding inf or nan and the likely `cause`."""
    name = first_nonfinite(tensors)
    if name is not None:
        raise NonFiniteModel(where, name, cause)
