"""The QA skill vector of PaST: SFT on source passages, GRPO on their questions, v = theta_rl - theta_sft.

Source passages are SQuAD passages disjoint from the evaluation passages (`squad_data.source_passages`), dealt
round-robin into K disjoint parts (`stages.rounds.subset`) and refined over K rounds (`stages.rounds`, docs/method.md
section 1): round k SFTs the base on part k's passages (+ implications), runs GRPO from sft_k + v_(k-1) on part k's
questions, closed-book, reward = the grader's verdict, and takes v_k = rl_k - sft_k; v_K is injected into targets. Every
step is a cached stage (`$TOOLPAST_HOME/artifacts/qa_*`), keyed by its config and its inputs' builds, so a rerun reuses
the vector and a killed SFT or RL resumes from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json

from toolpast.artifacts import Artifact
from toolpast.qa.answer import passage_questions
from toolpast.qa.config import QARunConfig
from toolpast.qa.records import Passage
from toolpast.qa.sequences import passage_sequences
from toolpast.stages.model_ref import Model
from toolpast.stages.rounds import REFINE_LAMBDA, Round, RoundStages, refine_rounds, subset
from toolpast.stages.runner import Runner
from toolpast.stages.skill_stages import inject_stage, vector_stage


def passages_digest(passages: list[Passage]) -> str:
    """A short hash naming a list of passages (title, context, questions) in a stage spec."""
    body = json.dumps([[p.title, p.context, [[q.question, q.answer] for q in p.questions]] for p in passages])
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def learn_qa_skill(cfg: QARunConfig, runner: Runner, base: Model, source: list[Passage], grader) -> list[Round]:
    """Run (or reuse) the K rounds on `source` (passages with any implications the source knowledge needs)."""
    from toolpast.qa.qa_rl import run_qa_rl
    from toolpast.stages.sft import run_sft

    common = {"seed": cfg.seed, "dtype": cfg.dtype}
    total = cfg.source.rounds
    parts = [subset(source, (k, total), "source passages", "source.rounds") for k in range(1, total + 1)]

    def tag(k: int) -> dict:
        return {"round": k, "rounds": total, "passages": passages_digest(parts[k - 1]), "n": len(parts[k - 1])}

    def sft(k: int) -> Artifact:
        rows = [{"text": text} for p in parts[k - 1]
                for text in passage_sequences(p, cfg.source.knowledge, max_pieces=cfg.passage_sft.max_sequences)]
        return runner.stage("qa_source_sft", {**common, **tag(k), "start": base.ref, "knowledge": cfg.source.knowledge,
                                              "sft": cfg.source.sft.model_dump()},
                            lambda w: run_sft(base.path, rows, cfg.source.sft, w, cfg.seed, cfg.dtype,
                                              f"SFT source passages {k}/{total}"))

    def start(k: int, sft: Model, previous: Artifact) -> Artifact:
        return inject_stage(runner, "qa_inject", sft, previous, REFINE_LAMBDA, cfg.min_vector_kept)

    def rl(k: int, start: Model) -> Artifact:
        questions = passage_questions(parts[k - 1], [f"src{k}.{i}" for i in range(len(parts[k - 1]))])
        return runner.stage("qa_rl", {**common, **tag(k), "start": start.ref, "rl": cfg.source.rl.model_dump(),
                                      "answer": cfg.answer.model_dump(exclude={"batch_size"}), "grader": grader.name},
                            lambda w: run_qa_rl(start.path, questions, cfg.source.rl, cfg.answer, grader, w, cfg.seed,
                                                cfg.dtype, f"GRPO source questions {k}/{total}"))

    def vector(k: int, rl: Artifact, sft: Artifact) -> Artifact:
        return vector_stage(runner, "qa_vector", rl, sft, cfg.min_vector_kept)

    return refine_rounds(RoundStages(rounds=total, sft=sft, inject=start, rl=rl, vector=vector))
