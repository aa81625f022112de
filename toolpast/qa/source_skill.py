"""The QA skill vector of PaST: SFT on source passages, GRPO on their questions, v = theta_rl - theta_sft.

Source passages are SQuAD passages disjoint from the evaluation passages (`squad_data.source_passages`), dealt
into K disjoint parts (iterative skill refinement, DESIGN.md section 1): v_0 = 0; round k: SFT the base on part
k's passages (+ implications) -> sft_k; start_k = sft_k + v_(k-1) (round 1: sft_1); GRPO from start_k on part k's
questions, closed-book, reward = the grader's verdict -> rl_k; v_k = rl_k - sft_k. v_K is injected into targets.
Every step is a cached stage (`$TOOLPAST_HOME/artifacts/qa_*`), keyed by its config and its inputs' builds, so
a rerun reuses the vector and a killed SFT or RL resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from toolpast.artifacts import Artifact
from toolpast.pipeline import Runner, build_id
from toolpast.qa.answer import passage_questions
from toolpast.qa.config import QARunConfig
from toolpast.qa.records import Passage
from toolpast.qa.sequences import passage_sequences


def passages_digest(passages: list[Passage]) -> str:
    """A short hash naming a list of passages (title, context, questions) in a stage spec."""
    body = json.dumps([[p.title, p.context, [[q.question, q.answer] for q in p.questions]] for p in passages])
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def deal_parts(passages: list[Passage], rounds: int) -> list[list[Passage]]:
    """K disjoint, contiguous parts of (nearly) equal size; every part non-empty."""
    if rounds > len(passages):
        raise ValueError(f"source.rounds={rounds} needs at least as many source passages (got {len(passages)})")
    size, extra = divmod(len(passages), rounds)
    parts, start = [], 0
    for k in range(rounds):
        end = start + size + (1 if k < extra else 0)
        parts.append(passages[start:end])
        start = end
    return parts


@dataclass(frozen=True)
class SkillRound:
    k: int
    sft: Artifact
    rl: Artifact
    vector: Artifact


def extract_to(rl_model: Path, sft_model: Path, workdir: Path) -> dict:
    from toolpast.vectors import extract_skill_vector

    manifest = extract_skill_vector(rl_model, sft_model, workdir / "vector", overwrite=True)
    return {"total_l2_norm": manifest.total_l2_norm, "tensors": len(manifest.tensors)}


def inject_to(model: Path, vector: Path, lam: float, workdir: Path) -> dict:
    from toolpast.vectors import inject_skill_vector

    report = inject_skill_vector(model, vector, lam, workdir / "model", overwrite=True)
    return {"surviving_fraction": report.surviving_fraction, "lam": lam}


def learn_qa_skill(cfg: QARunConfig, runner: Runner, base_dir: Path, base_ref: dict, source: list[Passage],
                   grader) -> list[SkillRound]:
    """Run (or reuse) the K rounds on `source` (passages with any implications the source knowledge needs)."""
    from toolpast.qa.qa_rl import run_qa_rl
    from toolpast.stages.sft import run_sft

    common = {"seed": cfg.seed, "dtype": cfg.dtype}
    rounds: list[SkillRound] = []
    total = cfg.source.rounds
    for k, part in enumerate(deal_parts(source, total), start=1):
        tag = {"round": k, "rounds": total, "passages": passages_digest(part), "n": len(part)}
        rows = [{"text": text} for p in part
                for text in passage_sequences(p, cfg.source.knowledge, max_pieces=cfg.passage_sft.max_sequences)]
        sft = runner.stage("qa_source_sft", {**common, **tag, "start": base_ref, "knowledge": cfg.source.knowledge,
                                             "sft": cfg.source.sft.model_dump()},
                           lambda w, rows=rows, k=k: run_sft(base_dir, rows, cfg.source.sft, w, cfg.seed, cfg.dtype,
                                                             f"SFT source passages {k}/{total}"))
        start_dir, start_ref = sft.path / "model", build_id(sft)
        if rounds:
            prev = rounds[-1].vector
            start = runner.stage("qa_inject", {"model": build_id(sft), "vector": build_id(prev), "lam": 1.0},
                                 lambda w, sft=sft, prev=prev: inject_to(sft.path / "model", prev.path / "vector",
                                                                       1.0, w))
            start_dir, start_ref = start.path / "model", build_id(start)
        questions = passage_questions(part, [f"src{k}.{i}" for i in range(len(part))])
        rl = runner.stage("qa_rl", {**common, **tag, "start": start_ref, "rl": cfg.source.rl.model_dump(),
                                    "answer": cfg.answer.model_dump(exclude={"batch_size"}), "grader": grader.name},
                          lambda w, d=start_dir, qs=questions, k=k: run_qa_rl(
                              d, qs, cfg.source.rl, cfg.answer, grader, w, cfg.seed, cfg.dtype,
                              f"GRPO source questions {k}/{total}"))
        vector = runner.stage("qa_vector", {"rl": build_id(rl), "sft": build_id(sft)},
                              lambda w, rl=rl, sft=sft: extract_to(rl.path / "model", sft.path / "model", w))
        rounds.append(SkillRound(k=k, sft=sft, rl=rl, vector=vector))
    return rounds
