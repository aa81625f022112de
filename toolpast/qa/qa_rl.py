"""GRPO for closed-book QA: the source passages' questions, SEAL's prompt, the grader's verdict as reward.

The shared GRPO stage (`toolpast.stages.grpo`) with TRL's single-turn path (no rollout_func): the dataset's
`prompt` column is SEAL's answering prompt as plain text, TRL samples `num_generations` answers per question, and
the reward function grades each against the gold answer with the same grader the evaluation uses (offline rule
or LLM judge): 1.0 correct, 0.0 not. Writes `model/` (full safetensors model), `train_log.jsonl` and
`answers.jsonl` (every sampled answer and verdict; a resumed run keeps each step's answers once).
"""

from __future__ import annotations

import json
from pathlib import Path

from toolpast.models import load_tokenizer
from toolpast.qa.answer import Question, prompt_text
from toolpast.qa.config import AnswerConfig, QARLConfig
from toolpast.qa.prompts import seal_question
from toolpast.stages.grpo import GRPOJob, run_grpo


def rl_rows(questions: list[Question], answer: AnswerConfig, tokenizer=None) -> list[dict]:
    """Dataset rows: the prompt as evaluation asks it, plus what the reward needs."""
    return [{"prompt": prompt_text(q, answer, tokenizer), "question": seal_question(q.question, q.title),
             "gold": q.answer, "qid": q.id} for q in questions]


def grader_reward(grader, log_path: Path | None = None):
    """A TRL reward function: 1.0 when the grader accepts the sampled answer, else 0.0."""

    def grader_correct(completions, question, gold, qid, trainer_state=None, **kwargs) -> list[float]:
        verdicts = [float(grader.judge(q, g, c.strip())) for c, q, g in zip(completions, question, gold)]
        if log_path is not None:
            step = trainer_state.global_step if trainer_state is not None else None
            with open(log_path, "a", encoding="utf-8") as handle:
                for c, i, v in zip(completions, qid, verdicts):
                    handle.write(json.dumps({"step": step, "qid": i, "answer": c, "correct": v}) + "\n")
        return verdicts

    return grader_correct


def run_qa_rl(start_model: Path, questions: list[Question], cfg: QARLConfig, answer: AnswerConfig, grader,
              workdir: Path, seed: int, dtype: str, title: str = "GRPO QA") -> dict:
    """GRPO from `start_model` on the questions, TRL sampling single answers (`toolpast.stages.grpo`)."""
    if not questions:
        raise ValueError(f"{title}: no training questions")
    tokenizer = load_tokenizer(start_model)
    answers = workdir / "answers.jsonl"
    job = GRPOJob(
        rows=rl_rows(questions, answer, tokenizer), reward_funcs=[grader_reward(grader, answers)],
        logged={"reward": "reward"}, sample_log=answers,
        options=dict(per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations,
                     steps_per_generation=1, max_completion_length=cfg.max_new_tokens, scale_rewards="group"))
    run = run_grpo(start_model, tokenizer, job, cfg, workdir, seed, dtype, title)
    if run is None:
        return {}  # the stage's outputs are main's
    return {"steps": cfg.steps, "questions": len(questions), "resumed_from_step": run.resumed_from_step,
            "reward_curve": [round(row["reward"], 4) for row in run.curve]}
