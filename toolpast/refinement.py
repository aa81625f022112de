"""Iterative skill refinement (PaST, DESIGN.md section 1): K rounds over disjoint parts of the source data.

v_0 = 0. Round k: SFT the base on part k's docs -> sft_k; start_k = sft_k + v_(k-1) (lambda 1, as in the paper;
round 1 starts from sft_1); GRPO from start_k on part k's tasks -> rl_k; v_k = rl_k - sft_k. The vector is taken
against sft_k, not start_k, so v_k carries v_(k-1) forward plus what round k's RL added; v_K is the one injected.
How the parts are dealt is `toolpast.stages.data.subset`. With K = 1 this is the plain pipeline, stage keys and
all, so existing caches stay valid; with K > 1 the SFT and RL specs also name their part ("round", "rounds").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from toolpast.artifacts import Artifact
from toolpast.config import RunConfig
from toolpast.stages.data import knowledge_rows, rl_tasks

if TYPE_CHECKING:
    from toolpast.pipeline import Stages

REFINE_LAMBDA = 1.0  # theta_sft_k + v_(k-1): the paper adds the previous vector at full scale


@dataclass(frozen=True)
class Round:
    """The artifacts of one refinement round."""

    k: int
    sft: Artifact  # the base SFT'd on part k's source docs
    start: Artifact | None  # sft + v_(k-1), where RL started; None in round 1 (RL starts from sft)
    rl: Artifact
    vector: Artifact  # v_k = rl - sft


def check_parts(cfg: RunConfig) -> None:
    """Fail before any training when a source category has fewer RL tasks or docs than refine_rounds."""
    if cfg.refine_rounds > 1:
        rl_tasks(cfg, (1, cfg.refine_rounds))
        knowledge_rows(cfg.source, cfg, (1, cfg.refine_rounds))


def refine(stages: Stages) -> list[Round]:
    """Run (or reuse) all K rounds; the last round's vector is the skill vector of the run."""
    cfg = stages.cfg
    total = cfg.refine_rounds
    rounds: list[Round] = []
    for k in range(1, total + 1):
        label = "" if total == 1 else f":{k}/{total}"
        part = (k, total)
        sft = stages.knowledge_sft("sft_source" + label, cfg.source, stages.base, part)
        start = None
        if rounds:
            start = stages.inject(f"inject:start{label}", stages.model_of(sft), rounds[-1].vector, REFINE_LAMBDA)
        rl = stages.rl("rl" + label, cfg.source, stages.model_of(start or sft), part)
        vector = stages.vector("vector" + label, rl, sft)
        rounds.append(Round(k=k, sft=sft, start=start, rl=rl, vector=vector))
    return rounds
