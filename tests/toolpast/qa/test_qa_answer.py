"""Closed-book answering: SEAL's prompt with the topic line, no passage, greedy and deterministic; grading sees
the question as asked."""

from toolpast.models import load_model, load_tokenizer
from toolpast.qa.answer import Question, answer_questions, grade, passage_questions, prompt_text
from toolpast.qa.config import AnswerConfig
from toolpast.qa.records import Passage, QAPair

Q = Question(id="0/0", title="Apollo", question="Who walked first?", answer="Neil Armstrong")


def test_prompt_is_seals_with_the_topic_line_and_no_passage():
    assert prompt_text(Q, AnswerConfig()) == ("Let's answer a question directly and concisely.\n"
                                              "Question: Topic: Apollo\nWho walked first?\nAnswer:\n")
    assert "Topic" not in prompt_text(Q, AnswerConfig(topic_prefix=False))


def test_chat_template_wraps_the_same_prompt(tiny_model_dir):
    tok = load_tokenizer(tiny_model_dir)
    if tok.chat_template is None:
        tok.chat_template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}<|assistant|>"
    text = prompt_text(Q, AnswerConfig(chat_template=True), tok)
    assert prompt_text(Q, AnswerConfig()) in text and text != prompt_text(Q, AnswerConfig())


def test_question_ids_name_passage_and_position():
    passages = [Passage(title="T", context="c", questions=[QAPair(question="a?", answer="x"),
                                                              QAPair(question="b?", answer="y")])]
    assert [q.id for q in passage_questions(passages, ["7"])] == ["7/0", "7/1"]


def test_greedy_answers_are_deterministic_and_graded_with_topic(tiny_model_dir):
    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    cfg = AnswerConfig(max_new_tokens=5, batch_size=2)
    questions = [Q, Question(id="0/1", title="Apollo", question="When?", answer="1969")]
    first = answer_questions(model, tok, questions, cfg)
    assert first == answer_questions(model, tok, questions, cfg) and len(first) == 2

    seen = []

    class Recorder:
        name = "recorder"

        def judge(self, question, gold, prediction):
            seen.append(question)
            return gold in prediction

    assert grade(Recorder(), questions, ["It was Neil Armstrong.", "in 1970"]) == [True, False]
    assert seen[0] == "Topic: Apollo\nWho walked first?"
