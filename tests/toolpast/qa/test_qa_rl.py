"""The QA RL reward: the grader's verdict on each sampled answer, logged; rows carry what the reward needs."""

import json
from types import SimpleNamespace

from toolpast.qa.answer import Question
from toolpast.qa.config import AnswerConfig
from toolpast.qa.qa_rl import grader_reward, rl_rows


def test_rows_hold_the_evaluation_prompt_and_the_judge_question():
    rows = rl_rows([Question(id="src1.0/0", title="Apollo", question="When?", answer="1969")], AnswerConfig())
    assert rows == [{"prompt": "Let's answer a question directly and concisely.\nQuestion: Topic: Apollo\nWhen?\n"
                               "Answer:\n", "question": "Topic: Apollo\nWhen?", "gold": "1969", "qid": "src1.0/0"}]


def test_reward_is_the_graders_verdict_and_every_answer_is_logged(tmp_path):
    from toolpast.qa.grading import OfflineGrader

    reward = grader_reward(OfflineGrader(), tmp_path / "answers.jsonl")
    out = reward(completions=[" It was in 1969.", "In 1970.", ""], question=["Topic: Apollo\nWhen?"] * 3,
                 gold=["1969"] * 3, qid=["a", "a", "a"], trainer_state=SimpleNamespace(global_step=4))
    assert out == [1.0, 0.0, 0.0]
    logged = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [r["correct"] for r in logged] == out and {r["step"] for r in logged} == {4}
