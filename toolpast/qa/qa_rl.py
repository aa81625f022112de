"""GRPO for closed-book QA: the source passages' questions, SEAL's prompt, the grader's verdict as reward.

Single turn, so TRL's standard path is enough (no rollout_func): the dataset's `prompt` column is SEAL's answering
prompt as plain text, TRL samples `num_generations` answers per question, and the reward function grades each
against the gold answer with the same grader the evaluation uses (offline rule or LLM judge): 1.0 correct, 0.0
not. The GRPOConfig options mirror `toolpast.stages.rl` (set explicitly: TRL defaults move between versions).
Writes `model/` (full safetensors model), `train_log.jsonl` and `answers.jsonl` (every sampled answer and verdict).
"""

from __future__ import annotations

import json
from pathlib import Path

from toolpast.models import load_model, load_tokenizer
from toolpast.progress import RichProgressCallback
from toolpast.qa.answer import Question, prompt_text
from toolpast.qa.config import AnswerConfig, QARLConfig
from toolpast.qa.prompts import seal_question
from toolpast.stages.training import (common_trainer_args, drop_checkpoints, latest_checkpoint, lora_config,
                                      save_full_model)


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
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import GRPOConfig, GRPOTrainer

    if not questions:
        raise ValueError(f"{title}: no training questions")
    tokenizer = load_tokenizer(start_model)
    model = load_model(start_model, dtype=dtype)
    checkpoints = workdir / "checkpoints"
    args = GRPOConfig(
        **common_trainer_args(cfg, checkpoints, seed, dtype),
        per_device_train_batch_size=cfg.prompts_per_step * cfg.num_generations, num_generations=cfg.num_generations,
        steps_per_generation=1, num_iterations=1, max_completion_length=cfg.max_new_tokens,
        temperature=cfg.temperature, beta=cfg.beta, loss_type="dapo", scale_rewards="group",
        mask_truncated_completions=False, shuffle_dataset=True, remove_unused_columns=False, log_completions=False,
        disable_dropout=True, use_vllm=cfg.use_vllm, vllm_mode="colocate", vllm_importance_sampling_correction=False,
    )
    log_path = workdir / "train_log.jsonl"
    trainer = GRPOTrainer(model=model, reward_funcs=[grader_reward(grader, workdir / "answers.jsonl")], args=args,
                          train_dataset=Dataset.from_list(rl_rows(questions, answer, tokenizer)),
                          processing_class=tokenizer, peft_config=lora_config(cfg),
                          callbacks=[RichProgressCallback(title, log_path, keys={"reward": "reward"})])
    trainer.remove_callback(PrinterCallback)
    resume = latest_checkpoint(checkpoints)
    trainer.train(resume_from_checkpoint=resume)
    save_full_model(trainer.model, tokenizer, workdir / "model")
    drop_checkpoints(checkpoints)
    by_step = {}  # a resumed run re-logs the steps after its checkpoint: keep the newest row per step
    for line in log_path.read_text().splitlines():
        row = json.loads(line)
        if "reward" in row:
            by_step[row["step"]] = row
    return {"steps": cfg.steps, "questions": len(questions),
            "resumed_from_step": int(resume.rsplit("-", 1)[1]) if resume else 0,
            "reward_curve": [round(by_step[s]["reward"], 4) for s in sorted(by_step)]}
