"""Dtype choices and norms shared by extraction, LoRA materialisation and injection."""

from __future__ import annotations

import torch

from toolpast.vectors.manifest import TensorEntry, VectorDtype

VECTOR_DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def vector_torch_dtype(dtype: VectorDtype | str) -> torch.dtype:
    try:
        return VECTOR_DTYPES[dtype]
    except KeyError:
        raise ValueError(f"vector dtype must be one of {sorted(VECTOR_DTYPES)}, got {dtype!r}") from None


def tensor_l2(t: torch.Tensor) -> float:
    """L2 norm accumulated in at least fp32 (a bf16 accumulator would be meaningless)."""
    acc = torch.float64 if t.dtype == torch.float64 else torch.float32
    return float(torch.linalg.vector_norm(t, dtype=acc))


def write_vector_tensor(writer, entries: dict[str, TensorEntry], name: str, tensor: torch.Tensor) -> float:
    """Append one vector tensor to its shard and record its manifest entry; returns its squared L2 norm."""
    norm = tensor_l2(tensor)
    entries[name] = TensorEntry(shape=list(tensor.shape), l2_norm=norm)
    writer.write(name, tensor)
    return norm * norm
