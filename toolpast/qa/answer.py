"""Closed-book answering and grading: SEAL's prompt, no passage in it, greedy, batched.

The model sees only `Let's answer a question directly and concisely.\\nQuestion: Topic: <title>\\n<question>\\n
Answer:\\n` (SEAL's query_server asks with the topic line) and must answer from its weights. Generation goes through
the `hf` rollout backend (token ids in, new ids out, greedy); the decoded text is graded against the gold answer
by the grader (offline rule or LLM judge), which also sees the question with its topic line, as SEAL's judge did.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolpast.qa.config import AnswerConfig
from toolpast.qa.prompts import qa_prompt, seal_question
from toolpast.qa.records import Passage


@dataclass(frozen=True)
class Question:
    """One question to answer closed-book: its passage's title (for the topic line) and the gold answer."""

    id: str
    title: str
    question: str
    answer: str


def passage_questions(passages: list[Passage], ids: list[str] | None = None) -> list[Question]:
    """Every question of the passages, with ids `<passage id>/<question index>` (passage id = its index here)."""
    ids = ids or [str(i) for i in range(len(passages))]
    return [Question(id=f"{pid}/{j}", title=p.title, question=q.question, answer=q.answer)
            for pid, p in zip(ids, passages) for j, q in enumerate(p.questions)]


def prompt_text(q: Question, cfg: AnswerConfig, tokenizer=None) -> str:
    text = qa_prompt(q.question, q.title if cfg.topic_prefix else None)
    if cfg.chat_template:
        if tokenizer is None:
            raise ValueError("answer.chat_template needs the tokenizer")
        text = tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                             add_generation_prompt=True)
    return text


def prompt_ids(questions: list[Question], tokenizer, cfg: AnswerConfig) -> list[list[int]]:
    # A chat template already holds its special tokens; a raw prompt gets the tokenizer's usual ones (none for
    # Llama/Qwen-style tokenizers without a BOS).
    special = not cfg.chat_template
    return [tokenizer(prompt_text(q, cfg, tokenizer), add_special_tokens=special)["input_ids"] for q in questions]


def answer_questions(model, tokenizer, questions: list[Question], cfg: AnswerConfig) -> list[str]:
    """Greedy closed-book answers, decoded without special tokens and stripped (what SEAL's judge saw)."""
    from toolpast.rollout.hf import HFGenerator

    if not questions:
        return []
    generator = HFGenerator(model, tokenizer, batch_size=cfg.batch_size, temperature=0.0)  # fresh: no stale cache
    outputs = generator.generate(prompt_ids(questions, tokenizer, cfg), cfg.max_new_tokens)
    return [tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in outputs]


def grade(grader, questions: list[Question], predictions: list[str]) -> list[bool]:
    """The grader's verdict per answer; the judge sees the question as it was asked (with the topic line)."""
    if len(questions) != len(predictions):
        raise ValueError(f"{len(questions)} questions but {len(predictions)} predictions")
    return [bool(grader.judge(seal_question(q.question, q.title), q.answer, p))
            for q, p in zip(questions, predictions)]
