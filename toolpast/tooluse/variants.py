"""The models `toolpast run` evaluates, one builder per variant name (EvalConfig.variants).

Each builder asks the cached stages for what it needs, so a variant that is not requested costs nothing and one
that is shares every stage it has in common with the others (the target SFT, the skill vector, the RL model):

- base: the shared start model (warm-up); open_book: the same model with the target docs in its prompt;
- sft: target-docs SFT from base; past: sft + lambda * v_K, once per lambda of lam_sweep (else lam);
- pre_injection: base + lambda * v_K first, then target-docs SFT from it (does the skill survive the SFT?);
- sequential: target-docs SFT starting from the source RL model rl_K (plain continued fine-tuning);
- target_rl: GRPO on the target's own train tasks from the target SFT model, the same RL config as the source
  (an upper reference: PaST's point is to do without it). The target's test tasks are never trained on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolpast.artifacts import Artifact
from toolpast.config import check_lambdas
from toolpast.leaderboard.schema import Variant
from toolpast.stages.model_ref import Model
from toolpast.stages.rounds import Round
from toolpast.tooluse.select import chosen_step
from toolpast.tooluse.stages import Stages


@dataclass(frozen=True)
class Candidate:
    """One model to evaluate: its stage label (unique in a run), weights, prompt book and leaderboard variant."""

    label: str
    model: Model
    book: str
    variant: Variant


def sweep(lam: float, lam_sweep: list[float]) -> list[float]:
    """The lambdas PaST is evaluated at: lam_sweep in order without repeats, else just lam."""
    lams = list(dict.fromkeys(float(x) for x in lam_sweep)) or [float(lam)]
    check_lambdas([float(lam), *lams])  # again: a config made with model_copy was never validated
    return lams


def variant_models(name: str, stages: Stages, rounds: list[Round],
                   sft_target: Callable[[], Artifact]) -> list[Candidate]:
    """Build (or reuse) the stages behind variant `name` and return the models to evaluate for it.

    `sft_target` builds (or reuses) the target SFT when called: base and open_book never need it."""
    cfg, last = stages.cfg, rounds[-1]
    rl_step = chosen_step(last.rl.outputs)
    skill = {"vector_id": last.vector.key, "source_categories": list(cfg.source), "rounds": len(rounds),
             "rl_step": rl_step}

    def target() -> Model:
        return Model.of(sft_target())

    def past() -> list[Candidate]:
        """The dense v at each lambda, then each sparsified v (vector_keep) at each lambda."""
        lams = sweep(cfg.lam, cfg.lam_sweep)
        out = []
        for keep in [None, *cfg.vector_keep]:
            top = "" if keep is None else f"top{keep * 100:g}"
            vector = last.vector if keep is None else stages.sparsify(f"sparsify:{top}", last.vector, keep)
            for lam in lams:
                tag = "" if len(lams) == 1 else f"@{lam:g}"
                labels = ":".join(x for x in (top, tag[1:]) if x)
                injected = stages.inject("inject" + (f":{labels}" if labels else ""), target(), vector, lam,
                                         "target SFT")
                out.append(Candidate(f"past{'_' + top if top else ''}{tag}", Model.of(injected), "closed",
                                     Variant(name="past", lam=lam, vector_keep=keep,
                                             **{**skill, "vector_id": vector.key})))
        return out

    def pre_injection() -> list[Candidate]:
        injected = stages.inject("inject:pre", stages.base, last.vector, cfg.lam, "base")
        tuned = stages.knowledge_sft("sft_target:pre", [cfg.target], Model.of(injected))
        return [Candidate("pre_injection", Model.of(tuned), "closed",
                          Variant(name="pre_injection", lam=cfg.lam, **skill))]

    def sequential() -> list[Candidate]:
        tuned = stages.knowledge_sft("sft_target:seq", [cfg.target], Model.of(last.rl))
        return [Candidate("sequential", Model.of(tuned), "closed",
                          Variant(name="sequential", source_categories=list(cfg.source), rounds=len(rounds),
                                  rl_step=rl_step))]

    def target_rl() -> list[Candidate]:
        trained = stages.rl("rl:target", [cfg.target], target())
        return [Candidate("target_rl", Model.of(trained), "closed", Variant(name="target_rl"))]

    builders: dict[str, Callable[[], list[Candidate]]] = {
        "base": lambda: [Candidate("base", stages.base, "closed", Variant(name="base"))],
        "sft": lambda: [Candidate("sft", target(), "closed", Variant(name="sft"))],
        "past": past,
        "open_book": lambda: [Candidate("open_book", stages.base, "open", Variant(name="open_book"))],
        "pre_injection": pre_injection,
        "sequential": sequential,
        "target_rl": target_rl,
    }
    if name not in builders:
        raise ValueError(f"unknown eval variant {name!r}; choose from {sorted(builders)}")
    return builders[name]()
