"""float32 <-> the float dtypes of safetensors, on raw byte buffers, in numpy: bit for bit what torch's casts give.

The streaming extract/inject compute in float32 whatever the stored dtype (a bf16 difference of two nearby bf16
numbers would lose most of the update), chunk by chunk on buffers they reuse. numpy does that without importing
torch (seconds of start-up per call) and without allocating a tensor per read. numpy has no bfloat16, so BF16
is converted with the bit arithmetic torch itself uses (round to nearest even; NaN -> 0x7FC0); F16 and F64 are
IEEE casts, which round to nearest even in both libraries. The float8 codes, rare in checkpoints, go through
torch. `tests/toolpast/vectors/test_vectors_codec.py` checks every path bit for bit against torch.
"""

from __future__ import annotations

import numpy as np

from toolpast.vectors.checkpoint import ITEMSIZE

_NATIVE = {"F32": np.float32, "F16": np.float16, "F64": np.float64}
_TORCH_ONLY = ("F8_E4M3", "F8_E5M2")
_BF16_NAN = np.uint16(0x7FC0)


def decode(raw: np.ndarray, code: str, n: int, scratch: np.ndarray | None) -> np.ndarray:
    """The first `n` values of `raw` (uint8 bytes of dtype `code`) as float32.

    F32 is a view of `raw` itself (no copy; writing to it changes `raw`; `scratch` may be None); other codes
    are converted into `scratch[:n]` (a float32 array) and that is returned.
    """
    if code == "F32":
        return raw[: 4 * n].view(np.float32)
    if scratch is None:
        raise ValueError(f"decoding {code} needs a float32 scratch array")
    out = scratch[:n]
    if code == "BF16":
        np.left_shift(raw[: 2 * n].view(np.uint16), 16, out=out.view(np.uint32), dtype=np.uint32)
    elif code in _NATIVE:
        np.copyto(out, raw[: ITEMSIZE[code] * n].view(_NATIVE[code]), casting="same_kind")
    elif code in _TORCH_ONLY:
        out[:] = _torch_view(raw[: n], code).float().numpy()
    else:
        raise ValueError(f"cannot compute on dtype {code} (not a float dtype)")
    return out


def encode(x: np.ndarray, code: str, raw: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """Write float32 `x` into `raw` (uint8) as dtype `code`, rounding like torch's `.to(dtype)`; returns the bytes.

    `scratch` is a uint32 array of at least `x.size` elements (used by BF16 only). For F32, `x` may already be
    a view of `raw`, in which case nothing is copied.
    """
    n = x.size
    out = raw[: ITEMSIZE[code] * n]
    if code == "F32":
        dst = out.view(np.float32)
        if not np.shares_memory(dst, x):
            np.copyto(dst, x)
    elif code == "BF16":
        bits = x.view(np.uint32)
        s = scratch[:n]
        np.right_shift(bits, 16, out=s)
        np.bitwise_and(s, 1, out=s)
        np.add(s, 0x7FFF, out=s)
        np.add(s, bits, out=s)  # wraps only for NaN payloads, fixed below
        np.right_shift(s, 16, out=s)
        dst = out.view(np.uint16)
        np.copyto(dst, s, casting="unsafe")
        nan = np.isnan(x)
        if nan.any():
            dst[nan] = _BF16_NAN
    elif code in _NATIVE:
        np.copyto(out.view(_NATIVE[code]), x, casting="same_kind")
    elif code in _TORCH_ONLY:
        import torch

        out[:] = torch.from_numpy(x).to(_torch_view(out, code).dtype).view(torch.uint8).numpy()
    else:
        raise ValueError(f"cannot store computed values as dtype {code} (not a float dtype)")
    return out


def _torch_view(raw: np.ndarray, code: str):
    import torch

    from toolpast.vectors.checkpoint import torch_dtype_of

    return torch.from_numpy(raw).view(torch_dtype_of(code))
