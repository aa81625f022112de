"""The tool-use run's K refinement rounds (stages/rounds.py) over disjoint parts of the source categories' data.

Round k: SFT on part k's docs, GRPO on part k's train tasks, v_k = rl_k - sft_k (rounds.refine says how the
rounds chain). How the parts are dealt is `toolpast.tooluse.data.subset`. With K = 1 this is the plain pipeline,
stage keys and all, so existing caches stay valid; with K > 1 the SFT and RL specs also name their part ("round",
"rounds") and the stage names carry ":k/K".
"""

from __future__ import annotations

from toolpast.stages.rounds import REFINE_LAMBDA, Round, RoundStages, refine_rounds
from toolpast.tooluse.config import RunConfig
from toolpast.tooluse.data import knowledge_rows, rl_tasks
from toolpast.tooluse.stages import Stages


def check_parts(cfg: RunConfig) -> None:
    """Fail before any training when a source category has fewer RL tasks or docs than refine_rounds."""
    if cfg.refine_rounds > 1:
        rl_tasks(cfg, (1, cfg.refine_rounds))
        knowledge_rows(cfg.source, cfg, (1, cfg.refine_rounds))


def refine(stages: Stages) -> list[Round]:
    """Run (or reuse) all K rounds on the source categories; the last round's vector is the run's skill vector."""
    cfg = stages.cfg
    total = cfg.refine_rounds

    def label(k: int) -> str:
        return "" if total == 1 else f":{k}/{total}"

    return refine_rounds(RoundStages(
        rounds=total,
        sft=lambda k: stages.knowledge_sft("sft_source" + label(k), cfg.source, stages.base, (k, total)),
        inject=lambda k, sft, previous: stages.inject(f"inject:start{label(k)}", sft, previous, REFINE_LAMBDA,
                                                     f"round {k} SFT"),
        rl=lambda k, start: stages.rl("rl" + label(k), cfg.source, start, (k, total)),
        vector=lambda k, rl, sft: stages.vector("vector" + label(k), rl, sft)))
