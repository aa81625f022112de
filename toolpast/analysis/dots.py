"""Dot products of large fp32 tensors accumulated in fp64, in bounded extra memory.

A cosine of ~0 between two 10^8-element updates is a cancellation of many terms; an fp32 BLAS dot carries a
relative error of order 1e-4 there, comparable to the signal. Converting whole tensors to fp64 would double the
memory, so the sum runs over fixed-size chunks converted one at a time.
"""

from __future__ import annotations

import torch

CHUNK = 1 << 20  # elements: 8 MiB per fp64 chunk


def dot64(a: torch.Tensor, b: torch.Tensor) -> float:
    """sum(a * b) in fp64; `a` and `b` have the same number of elements (any shapes, any float dtype)."""
    x, y = a.reshape(-1), b.reshape(-1)
    if x.numel() != y.numel():
        raise ValueError(f"dot of tensors with {x.numel()} and {y.numel()} elements")
    total = 0.0
    for i in range(0, x.numel(), CHUNK):
        total += float(torch.dot(x[i : i + CHUNK].double(), y[i : i + CHUNK].double()))
    return total


def sq64(a: torch.Tensor) -> float:
    return dot64(a, a)
