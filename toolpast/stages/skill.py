"""The skill-vector stage functions, v = theta_rl - theta_sft and model + lambda * v, shared by every suite."""

from __future__ import annotations

import math
from pathlib import Path


def extract(rl_model: Path, sft_model: Path, workdir: Path) -> dict:
    """Write v = rl - sft to workdir/vector; its norm, tensor count and exact-zero count are the outputs."""
    from toolpast.vector_check import ZeroCount, count_zeros
    from toolpast.vectors import extract_skill_vector

    manifest = extract_skill_vector(rl_model, sft_model, workdir / "vector", overwrite=True)
    entries = manifest.tensors.values()
    if all(e.zeros is not None for e in entries):  # counted by the extraction as it wrote v
        count = ZeroCount(sum(math.prod(e.shape) for e in entries), sum(e.zeros for e in entries))
    else:  # a LoRA-derived vector: count from its shards
        count = count_zeros(workdir / "vector")
    return {"total_l2_norm": manifest.total_l2_norm, "tensors": len(manifest.tensors), "entries": count.entries,
            "zeros": count.zeros}


def sparsify(vector: Path, keep: float, workdir: Path) -> dict:
    """Write the top-`keep` sparsified copy of the vector in `vector` to workdir/vector (vectors/sparsify.py)."""
    from toolpast.vectors.sparsify import sparsify_skill_vector

    manifest = sparsify_skill_vector(vector, workdir / "vector", keep, overwrite=True)
    entries = sum(math.prod(e.shape) for e in manifest.tensors.values())
    return {"total_l2_norm": manifest.total_l2_norm, "tensors": len(manifest.tensors), "entries": entries,
            "zeros": sum(e.zeros for e in manifest.tensors.values()), "keep": keep}


def inject(model: Path, vector: Path, lam: float, workdir: Path, stage: str = "inject") -> dict:
    """Write model + lam * vector to workdir/model; how much of lam * v survived the model's dtype is the output.
    Weights that would hold inf or nan are refused as they are computed, nothing published (NonFiniteModel)."""
    from toolpast.vectors import inject_skill_vector
    from toolpast.vectors.errors import NonFiniteModel, NonFiniteWeights

    # digest_output: the injected model's identity (its leaderboard entries need it) is hashed as it is written,
    # on its own thread, and recorded beside it, instead of being read back and hashed after the evaluation
    try:
        report = inject_skill_vector(model, vector, lam, workdir / "model", overwrite=True, digest_output=True)
    except NonFiniteWeights as error:  # its message names the tensor and lambda; the stage's name is ours
        raise NonFiniteModel(f"stage {stage}", error.tensor, f"{error.what}; nothing was published") from error
    return {"surviving_fraction": report.surviving_fraction, "worst_tensor": report.worst_tensor,
            "worst_surviving_fraction": report.worst_surviving_fraction, "lam": lam}
