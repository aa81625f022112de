"""Dtype choices and norms shared by extraction, LoRA materialisation and injection."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from toolpast.vectors.manifest import TensorEntry, VectorDtype

if TYPE_CHECKING:
    import torch

VECTOR_CODES: dict[str, str] = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}  # -> safetensors codes


def vector_code(dtype: VectorDtype | str) -> str:
    try:
        return VECTOR_CODES[dtype]
    except KeyError:
        raise ValueError(f"vector dtype must be one of {sorted(VECTOR_CODES)}, got {dtype!r}") from None


def vector_torch_dtype(dtype: VectorDtype | str) -> torch.dtype:
    from toolpast.vectors.checkpoint import torch_dtype_of

    return torch_dtype_of(vector_code(dtype))


def sumsq(x: np.ndarray) -> float | None:
    """Sum of squares of float32 `x` (a float64 total of a BLAS float32 dot), or None if `x` is not all finite.

    A finite dot product proves every element finite (an inf or nan would make it inf or nan), so the exact
    `isfinite` pass runs only when the fast sum is not finite, which finite but huge values can also cause.
    """
    s = float(np.dot(x, x))
    if math.isfinite(s):
        return s
    if not np.isfinite(x).all():
        return None
    wide = x.astype(np.float64)
    return float(np.dot(wide, wide))


def tensor_l2(t: torch.Tensor) -> float:
    """L2 norm accumulated in at least fp32 (a bf16 accumulator would be meaningless)."""
    import torch

    acc = torch.float64 if t.dtype == torch.float64 else torch.float32
    return float(torch.linalg.vector_norm(t, dtype=acc))


def write_vector_tensor(writer, entries: dict[str, TensorEntry], name: str, tensor: torch.Tensor) -> float:
    """Append one vector tensor to its shard and record its manifest entry; returns its squared L2 norm."""
    norm = tensor_l2(tensor)
    entries[name] = TensorEntry(shape=list(tensor.shape), l2_norm=norm)
    writer.write(name, tensor)
    return norm * norm
