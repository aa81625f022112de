"""The skill-vector stages as every suite builds them, v = rl - sft and model + lambda * v, each checked before
anything uses it: a vector that is mostly zeros, or that the target's dtype rounds away, would make PaST equal SFT
(`toolpast.vector_check`, against the suite's `min_vector_kept`); weights holding inf or nan are refused as they
are written (`stages.skill.inject`). The tool-use run (`tooluse.stages.Stages`) and the QA suites (`qa/source_skill.py`,
`qa/squad_run.py`) both build them here, so neither skips a check the other makes.
"""

from __future__ import annotations

from toolpast.artifacts import Artifact
from toolpast.stages.model_ref import Model
from toolpast.stages.plan import PlannedStage
from toolpast.stages.runner import Runner, build_id
from toolpast.stages.skill import extract, inject, sparsify
from toolpast.vector_check import check_injection_stage, check_vector_stage


def vector_stage(runner: Runner, name: str, rl: Artifact, sft: Artifact, min_kept: float) -> Artifact:
    """v = rl - sft from two training stages' models, refused when less than `min_kept` of it is non-zero."""
    return runner.stage(name, {"rl": build_id(rl), "sft": build_id(sft)},
                        lambda w: extract(rl.path / "model", sft.path / "model", w),
                        check=lambda vector: check_vector_stage(vector, min_kept),  # mostly zeros: PaST = SFT
                        about=lambda: PlannedStage(name, "rl - sft"))


def sparsify_stage(runner: Runner, name: str, vector: Artifact, keep: float) -> Artifact:
    """v with only each tensor's top-`keep` share of entries by magnitude, norm restored (vectors/sparsify.py).
    Its zeros are by design, so the mostly-zero check stays the dense vector's; injecting it is checked as usual."""
    return runner.stage(name, {"vector": build_id(vector), "keep": keep},
                        lambda w: sparsify(vector.path / "vector", keep, w),
                        about=lambda: PlannedStage(name, f"top {keep:.0%} of each tensor of v, norm restored"))


def inject_stage(runner: Runner, name: str, model: Model, vector: Artifact, lam: float, min_kept: float,
                 what: str = "model") -> Artifact:
    """model + lam * v, refused when less than `min_kept` of ||lam * v|| survived the cast into the model's dtype.
    `what` names the model in a plan (e.g. "target SFT")."""
    return runner.stage(name, {"model": model.ref, "vector": build_id(vector), "lam": lam},
                        lambda w: inject(model.path, vector.path / "vector", lam, w, stage=name),
                        check=lambda injected: check_injection_stage(injected, min_kept),  # rounded away
                        about=lambda: PlannedStage(name, f"{what} + {lam:g} v"))
