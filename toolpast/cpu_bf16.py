"""Whether this CPU computes bf16 natively, so that bf16 autocast pays instead of costing.

The cpu preset trains and generates under bf16 autocast over fp32 weights where the CPU has bf16 instructions:
on an AVX512-BF16 machine one SmolLM2 training step (4 x 600 tokens) took 9.3-11.4 s against 22.4-23.5 s in fp32.
Without them torch emulates bf16: on the AMD EPYC (AVX2 only) this project's machines were on 2026-12-07 the same
step took 644.8 s against 22.9-28.7 s (`scripts/autocast_step_time.py`), 25x slower. So the preset asks the CPU,
once, when it is built; the answer is written into the config (and so into every stage key), never decided later.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

BF16_FLAGS = {"avx512_bf16", "amx_bf16", "bf16"}  # x86 flags; aarch64's Features line says "bf16"
OVERRIDE = "TOOLPAST_CPU_BF16"  # 1 or 0: take this answer instead of the CPU's flags


@functools.cache
def native_bf16() -> bool:
    """True when the CPU has bf16 arithmetic (or TOOLPAST_CPU_BF16=1); False when unknown."""
    forced = os.environ.get(OVERRIDE, "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:  # not Linux: assume none (fp32 is never the slow choice)
        return False
    flags = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            flags.update(value.split())
    return bool(flags & BF16_FLAGS)
