"""What the QA suites share: the grader, the base model's identity, self-written implications and the cached
closed-book evaluation of one model on a list of questions.

An evaluation is a stage (`$TOOLPAST_HOME/artifacts/qa_answers/<key>/answers.jsonl`, one line per question:
id, prediction, verdict) keyed by the model's build, the questions and the answering and grading settings.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from toolpast.io import atomic_write_text
from toolpast.qa.answer import Question, answer_questions, grade
from toolpast.qa.config import GraderChoice, QARunConfig
from toolpast.qa.records import Passage
from toolpast.stages.runner import Runner


def make_grader(choice: GraderChoice):
    """The offline rule, or an LLM judge behind an OpenAI-compatible endpoint (verdicts cached on disk)."""
    if choice.kind == "offline":
        from toolpast.qa.grading import OfflineGrader

        return OfflineGrader()
    if not choice.base_url:
        raise ValueError("grader.kind=judge needs grader.base_url (an OpenAI-compatible endpoint, e.g. "
                         "https://api.openai.com/v1, with OPENAI_API_KEY set)")
    from toolpast.paths import toolpast_home
    from toolpast.qa.judge import LLMJudge
    from toolpast.rollout.openai_chat import OpenAIChatClient

    client = OpenAIChatClient(choice.base_url, choice.model, api_key=os.environ.get("OPENAI_API_KEY"))
    return LLMJudge(client, choice.style, cache_dir=toolpast_home() / "judge_cache", model=choice.model)


def questions_digest(questions: list[Question]) -> str:
    import hashlib

    body = json.dumps([[q.id, q.title, q.question, q.answer] for q in questions])
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def read_answers(artifact_dir: Path) -> dict[str, list[bool]]:
    """question id -> verdicts, from an answers.jsonl."""
    out: dict[str, list[bool]] = {}
    for line in (artifact_dir / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        out.setdefault(row["id"], []).append(bool(row["correct"]))
    return out


def evaluate_model(runner: Runner, cfg: QARunConfig, label: str, model_ref, load, questions: list[Question],
                   grader):
    """Answer and grade `questions` with the model `load()` returns (model, tokenizer); cached by model_ref."""
    spec = {"model": model_ref, "questions": questions_digest(questions), "n": len(questions),
            "answer": cfg.answer.model_dump(exclude={"batch_size"}), "grader": grader.name, "dtype": cfg.dtype}

    def run(workdir: Path) -> dict:
        model, tokenizer = load()
        predictions = answer_questions(model, tokenizer, questions, cfg.answer)
        verdicts = grade(grader, questions, predictions)
        lines = [json.dumps({"id": q.id, "question": q.question, "gold": q.answer, "prediction": p, "correct": v})
                 for q, p, v in zip(questions, predictions, verdicts)]
        atomic_write_text(workdir / "answers.jsonl", "\n".join(lines) + "\n")
        return {"n": len(verdicts), "successes": sum(verdicts)}

    return runner.stage(f"qa_answers:{label}", spec, run)


def self_implications(runner: Runner, cfg: QARunConfig, model_ref, load, passages: list[Passage],
                      label: str) -> list[Passage]:
    """The passages with `implications["self"]` written by the model `load()` returns (cached stage)."""
    from toolpast.qa.implications import with_self_implications, write_implications
    from toolpast.qa.source_skill import passages_digest

    spec = {"model": model_ref, "passages": passages_digest(passages), "n": len(passages),
            "implications": cfg.implications.model_dump(exclude={"batch_size"}), "seed": cfg.seed,
            "dtype": cfg.dtype}

    def run(workdir: Path) -> dict:
        model, tokenizer = load()
        texts = write_implications(model, tokenizer, passages, cfg.implications, cfg.seed)
        atomic_write_text(workdir / "implications.json", json.dumps(texts, indent=1) + "\n")
        return {"passages": len(texts)}

    artifact = runner.stage(f"qa_implications:{label}", spec, run)
    texts = json.loads((artifact.path / "implications.json").read_text(encoding="utf-8"))
    return with_self_implications(passages, [[t] for t in texts])
