"""The numpy float32 <-> safetensors dtype codecs give exactly torch's bits: rounding ties, subnormals, overflow,
infinities and NaN included (extract and inject must match the torch reference formula bit for bit)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from toolpast.vectors.checkpoint import st_code_of
from toolpast.vectors.codec import decode, encode


def _specimens() -> torch.Tensor:
    """Random values over many magnitudes, plus the edge cases of every target dtype."""
    g = torch.Generator().manual_seed(0)
    mags = torch.logspace(-45, 38, 4000, dtype=torch.float64).float()
    values = torch.cat([mags * torch.randn(4000, generator=g).sign(), torch.randn(20000, generator=g)])
    bits = torch.randint(0, 2**31 - 1, (20000,), generator=g, dtype=torch.int64)
    values = torch.cat([values, bits.to(torch.int32).view(torch.float32)])  # arbitrary patterns, NaNs included
    edges = [0.0, -0.0, 1.0, 65504.0, 65520.0, 65519.99, 6.1e-5, 5.96e-8, 3.0e-8, 1e-40, 3.4028235e38,
             -3.4028235e38, float("inf"), float("-inf"), float("nan"), 1.00390625, 1.01171875, 1.0 + 2**-9,
             1.0 + 3 * 2**-9]  # fmt: skip
    ties = torch.tensor([1 + k * 2**-8 + 2**-9 for k in range(64)], dtype=torch.float64).float()  # bf16 halfway
    return torch.cat([values, torch.tensor(edges, dtype=torch.float32), ties, -ties])


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float64, torch.float8_e4m3fn, torch.float32])
def test_encode_then_decode_equals_torch(dtype):
    x = _specimens()
    code = st_code_of(dtype)
    n = x.numel()
    raw = np.empty(n * 8, dtype=np.uint8)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow to inf is the point here; run_jobs does the same
        ours = encode(x.numpy(), code, raw, np.empty(n, dtype=np.uint32))
    theirs = x.to(dtype)
    got = torch.from_numpy(ours.copy()).view(dtype)
    nan = torch.isnan(theirs.float())
    assert torch.equal(torch.isnan(got.float()), nan)  # NaN stays NaN (its payload may differ)
    assert torch.equal(got.float()[~nan], theirs.float()[~nan])
    assert torch.equal(got.view(torch.uint8).reshape(n, -1)[~nan], theirs.view(torch.uint8).reshape(n, -1)[~nan])
    back = decode(ours, code, n, np.empty(n, dtype=np.float32))
    expected = theirs.float()
    assert np.array_equal(np.isnan(back), nan.numpy())
    assert np.array_equal(back[~nan.numpy()], expected.numpy()[~nan.numpy()])
    if dtype == torch.bfloat16:  # torch writes NaN as the canonical 0x7FC0 (sign kept); so do we
        assert set(got.view(torch.int16)[nan].tolist()) <= {0x7FC0, -0x8000 + 0x7FC0}


def test_f32_decode_is_a_view_and_encode_into_itself_copies_nothing():
    raw = np.arange(16, dtype=np.float32).view(np.uint8).copy()
    v = decode(raw, "F32", 16, None)
    v[0] = 42.0
    assert raw[:4].view(np.float32)[0] == 42.0  # a view of the read buffer, not a copy
    assert encode(v, "F32", raw, np.empty(0, dtype=np.uint32)).ctypes.data == raw.ctypes.data
    with pytest.raises(ValueError, match="not a float dtype"):
        decode(raw, "I32", 4, np.empty(4, dtype=np.float32))
