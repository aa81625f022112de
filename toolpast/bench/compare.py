"""Do our injected weights equal mergekit's task_arithmetic merge? Streamed, one tensor pair at a time."""

from __future__ import annotations

from pathlib import Path

import torch

from toolpast.vectors.checkpoint import Checkpoint
from toolpast.vectors.errors import SkillVectorMismatch
from toolpast.vectors.tied import tied_aliases


def max_abs_diff(ours: Path, theirs: Path) -> float:
    """Largest |a - b| over every tensor; a tensor only one side stores must be a tied alias on the other."""
    a, b = Checkpoint(ours), Checkpoint(theirs)
    a_names = [n for n in a.names if n not in tied_aliases(a)]
    b_names = {n for n in b.names if n not in tied_aliases(b)}
    worst = 0.0
    for n in a_names:
        if n not in b_names:
            raise SkillVectorMismatch(n, {"ours": a.info(n).shape, "mergekit": None})
        x, y = a.get(n).to(torch.float32), b.get(n).to(torch.float32)
        if x.shape != y.shape:
            raise SkillVectorMismatch(n, {"ours": x.shape, "mergekit": y.shape})
        worst = max(worst, float((x - y).abs().max()) if x.numel() else 0.0)
    extra = sorted(b_names - set(a_names))
    if extra:
        raise SkillVectorMismatch(extra[0], {"ours": None, "mergekit": b.info(extra[0]).shape})
    return worst
