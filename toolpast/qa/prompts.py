"""The prompts of SEAL's SQuAD protocol and of the PaST/LooGLE judge, quoted from their code.

Sources (read 2026-11 from public copies of the repositories):
- `SEAL_QA_PROMPT` = `SQUAD_ANSWER_TEMPLATE_BASE` and `SEAL_JUDGE_PROMPT` = `SQUAD_GRADE_TEMPLATE` in SEAL's
  `knowledge-incorporation/src/utils.py` (Continual-Intelligence/SEAL; read through forks that keep it unchanged).
  SEAL asks the question as `f"Topic: {title}\\n{question}"` (`src/query/query_server.py`), answers greedily with
  64 new tokens, grades `pred.strip()` with GPT-4.1 and parses the reply as yes iff it contains the word "yes"
  and not the word "no"; empty answers are marked wrong without asking the judge (`src/inner/TTT_server.py`).
- `PAST_JUDGE_SYSTEM` / `PAST_JUDGE_PROMPT`: PaST's own code was not found in any public copy available here. PaST
  (arXiv 2601.11258, from MuLab PKU) grades with GPT-4.1 and a True/False answer; the True/False judge of that lab's
  LooGLE evaluation (MuLabPKU/LIFT `eval/loogle_eval.py`, itself LooGLE's GPT-4 judge from
  bigai-nlco/LooGLE `Evaluation/llm_score.py` with the "groudtruth" typo fixed) is quoted here as the closest
  published prompt. It is an assumption that PaST used exactly this wording. LIFT sends the system text with the
  role "developer"; "system" is used here because every OpenAI-compatible server accepts it.
"""

from __future__ import annotations

SEAL_QA_PROMPT = "Let's answer a question directly and concisely.\nQuestion: {q}\nAnswer:\n"

SEAL_JUDGE_PROMPT = (
    "You are a grading assistant. Your job is to determine whether a student's answer correctly answers the question "
    "based solely on the provided gold answer. Do not use any outside knowledge. The student answer can include "
    "additional information, but it must at least fully convey the gold answer and must not contradict it. Ignore "
    "style, phrasing, or extra details that do not affect correctness. Respond ONLY with 'yes' or 'no'.\n\n"
    "Question: {question}\nGold answer: {gold}\nStudent answer: {pred}\n"
    "Is the student answer correct based solely on the gold answer? Respond 'yes' or 'no'."
)

PAST_JUDGE_SYSTEM = (
    "Given one question, there is a groundtruth and a predict_answer. Please decide whether they are the same or not "
    "in semantic. Please only output 'True' or 'False' ."
)
PAST_JUDGE_PROMPT = "question: {question}\ngroundtruth = {gold}\npredict_answer = {pred}\n"


def seal_question(question: str, title: str | None = None) -> str:
    """The question as SEAL poses it: `Topic: <title>` on its own line first when the title is known."""
    return f"Topic: {title}\n{question}" if title else question


def qa_prompt(question: str, title: str | None = None) -> str:
    """SEAL's closed-book answering prompt; pass `title` to reproduce SEAL exactly (it prefixes `Topic: <title>`)."""
    return SEAL_QA_PROMPT.format(q=seal_question(question, title))


def judge_messages(style: str, question: str, gold: str, prediction: str) -> list[dict]:
    """Chat messages asking the judge of `style` ("seal" yes/no, "past" True/False) about one answer."""
    pred = prediction.strip()
    if style == "seal":
        return [{"role": "user", "content": SEAL_JUDGE_PROMPT.format(question=question, gold=gold, pred=pred)}]
    if style == "past":
        return [{"role": "system", "content": PAST_JUDGE_SYSTEM},
                {"role": "user", "content": PAST_JUDGE_PROMPT.format(question=question, gold=gold, pred=pred)}]
    raise ValueError(f"unknown judge style {style!r}: expected 'seal' or 'past'")
