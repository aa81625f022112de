"""Iterative skill refinement (PaST, docs/method.md section 1), once for every suite: K rounds over disjoint parts.

v_0 = 0. Round k: SFT the base on part k -> sft_k; start_k = sft_k + v_(k-1) (lambda 1, as in the paper; round 1
starts from sft_1); RL from start_k on part k -> rl_k; v_k = rl_k - sft_k. The vector is taken against sft_k, not
start_k, so v_k carries v_(k-1) forward plus what round k's RL added; v_K is the one injected. A suite supplies
the round's stages as callables (its data, stage names and specs); how parts are dealt is `subset`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from toolpast.artifacts import Artifact
from toolpast.stages.model_ref import Model

REFINE_LAMBDA = 1.0  # theta_sft_k + v_(k-1): the paper adds the previous vector at full scale
Part = tuple[int, int]
WHOLE: Part = (1, 1)  # (k, K): part k of K, 1-based


def subset(items: list, part: Part, what: str = "items", setting: str = "refine_rounds") -> list:
    """Part k of K of items, dealt round-robin (item i goes to part i % K + 1); WHOLE returns all of them.
    `setting` names the config field that asked for K parts (in the error when there are fewer items)."""
    k, rounds = part
    if not 1 <= k <= rounds:
        raise ValueError(f"part {k} of {rounds}: k must be in 1..{rounds}")
    if rounds > len(items):
        raise ValueError(f"{setting}={rounds} needs at least {rounds} {what}, found {len(items)}")
    return items[k - 1::rounds]


@dataclass(frozen=True)
class Round:
    """The artifacts of one refinement round."""

    k: int
    sft: Artifact  # the base SFT'd on part k's source data
    start: Artifact | None  # sft + v_(k-1), where RL started; None in round 1 (RL starts from sft)
    rl: Artifact
    vector: Artifact  # v_k = rl - sft


@dataclass(frozen=True)
class RoundStages:
    """A suite's stages of round k (of `rounds`): each builds (or reuses) one cached stage."""

    rounds: int
    sft: Callable[[int], Artifact]  # k -> the base SFT'd on part k
    inject: Callable[[int, Model, Artifact], Artifact]  # (k, sft_k, v_(k-1)) -> sft_k + REFINE_LAMBDA * v_(k-1)
    rl: Callable[[int, Model], Artifact]  # (k, start_k) -> RL from start_k on part k
    vector: Callable[[int, Artifact, Artifact], Artifact]  # (k, rl_k, sft_k) -> rl_k - sft_k


def refine_rounds(stages: RoundStages) -> list[Round]:
    """Run (or reuse) all K rounds; the last round's vector is the skill vector."""
    rounds: list[Round] = []
    for k in range(1, stages.rounds + 1):
        sft = stages.sft(k)
        start = stages.inject(k, Model.of(sft), rounds[-1].vector) if rounds else None
        rl = stages.rl(k, Model.of(start or sft))
        rounds.append(Round(k=k, sft=sft, start=start, rl=rl, vector=stages.vector(k, rl, sft)))
    return rounds
