"""The LLM judge: SEAL's and PaST's prompts, reply parsing, the verdict cache; a fake client, no network."""

import json

import pytest

from toolpast.qa.judge import LLMJudge, parse_reply
from toolpast.qa.prompts import PAST_JUDGE_SYSTEM, SEAL_JUDGE_PROMPT, judge_messages, qa_prompt


class FakeReply:
    def __init__(self, content):
        self.content = content


class FakeClient:
    model = "fake-judge"

    def __init__(self, replies):
        self.replies, self.calls = list(replies), []

    def complete(self, messages, max_tokens, temperature=0.0, seed=None, stop=None):
        self.calls.append(messages)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return FakeReply(reply)


def test_prompts_are_seals_and_lifts():
    assert qa_prompt("Who?") == "Let's answer a question directly and concisely.\nQuestion: Who?\nAnswer:\n"
    assert qa_prompt("Who?", title="Genghis Khan").endswith("Question: Topic: Genghis Khan\nWho?\nAnswer:\n")
    (seal,) = judge_messages("seal", "Q?", "gold", "  pred \n")
    assert seal["role"] == "user" and seal["content"] == SEAL_JUDGE_PROMPT.format(question="Q?", gold="gold",
                                                                                   pred="pred")
    assert seal["content"].endswith("Is the student answer correct based solely on the gold answer? "
                                    "Respond 'yes' or 'no'.")
    system, user = judge_messages("past", "Q?", "gold", "pred")
    assert system == {"role": "system", "content": PAST_JUDGE_SYSTEM}
    assert user["content"] == "question: Q?\ngroundtruth = gold\npredict_answer = pred\n"
    with pytest.raises(ValueError, match="unknown judge style"):
        judge_messages("gpt", "Q?", "g", "p")


@pytest.mark.parametrize("style,text,expected", [
    ("seal", "yes", True), ("seal", "Yes.", True), ("seal", "NO", False), ("seal", "no, it is not", False),
    ("seal", "Yes, the answer is correct", True), ("seal", "yes and no", None), ("seal", "correct", None),
    ("seal", "Nope", None), ("past", "True", True), ("past", "false.", False), ("past", "'True'", True),
    ("past", "The answer is FALSE", False), ("past", "True or False", None), ("past", "yes", None),
])
def test_reply_parsing(style, text, expected):
    assert parse_reply(style, text) is expected


def test_cache_hit_and_miss(tmp_path):
    client = FakeClient(["Yes", "no"])
    judge = LLMJudge(client, "seal", cache_dir=tmp_path)
    assert judge.judge("Q?", "Otrar", "Otrar") is True
    assert judge.judge("Q?", "Otrar", "Otrar ") is True  # same stripped answer: cache hit, no call
    assert len(client.calls) == 1 and judge.verdict("Q?", "Otrar", "Otrar").cached
    assert judge.judge("Q?", "Otrar", "Bukhara") is False and len(client.calls) == 2
    fresh = LLMJudge(FakeClient([]), "seal", cache_dir=tmp_path)  # another process: reads the files
    assert fresh.judge("Q?", "Otrar", "Bukhara") is False
    assert LLMJudge(FakeClient(["True"]), "past", cache_dir=tmp_path).judge("Q?", "Otrar", "Otrar") is True
    other_model = LLMJudge(FakeClient(["no"]), "seal", cache_dir=tmp_path, model="other")
    assert other_model.judge("Q?", "Otrar", "Otrar") is False
    files = list(tmp_path.rglob("*.json"))
    assert len(files) == 4 and not list(tmp_path.rglob("*.tmp"))
    record = json.loads(files[0].read_text())
    assert {"style", "model", "question", "gold", "prediction", "verdict"} <= set(record)


def test_unparseable_counts_as_incorrect_and_is_recorded(tmp_path):
    judge = LLMJudge(FakeClient(["I cannot tell."]), "past", cache_dir=tmp_path)
    assert judge.judge("Q?", "g", "p") is False
    assert judge.unparseable == [{"question": "Q?", "gold": "g", "prediction": "p", "reply": "I cannot tell."}]
    again = LLMJudge(FakeClient([]), "past", cache_dir=tmp_path)
    assert again.verdict("Q?", "g", "p").parsed is False and len(again.unparseable) == 1


def test_nothing_cached_when_the_client_raises(tmp_path):
    client = FakeClient([ConnectionError("down"), "yes"])
    judge = LLMJudge(client, "seal", cache_dir=tmp_path)
    with pytest.raises(ConnectionError):
        judge.judge("Q?", "g", "p")
    assert not list(tmp_path.rglob("*"))
    assert judge.judge("Q?", "g", "p") is True and len(client.calls) == 2


def test_empty_prediction_is_wrong_without_a_call():
    client = FakeClient([])
    assert LLMJudge(client, "seal").judge("Q?", "g", "  ") is False and client.calls == []
