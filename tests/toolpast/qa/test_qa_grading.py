"""The offline grader: SQuAD normalisation, F1, containment, the answer segment and the decision rule."""

import pytest

from toolpast.qa.grading import GraderConfig, OfflineGrader, answer_segment, normalize_answer, token_f1, words

G = OfflineGrader()


def test_squad_normalisation_and_canonical_words():
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a day") == "apple day"
    assert words("Ögedei Khan's 25,000 men") == ["ogedei", "khan", "s", "25000", "men"]
    assert words("the nineteenth century") == ["19", "century"] and words("19th centuries") == ["19", "century"]
    assert words("Æthelred") == words("aethelred") and words("$1.2 billion") == ["1.2", "billion"]
    assert words("the 1970s, 3rd") == ["1970s", "3"] and words("jumped, cities") == ["jump", "city"]


def test_token_f1():
    assert token_f1(["a", "b"], ["a", "b"]) == 1.0
    assert token_f1(["a", "b"], ["c"]) == 0.0
    assert token_f1(["leonhard", "euler"], ["euler"]) == pytest.approx(2 / 3)


def test_answer_segment_cuts_rambling():
    text = "Graham Gano\n\nQ: Passage: The 2017 -- 18 San Antonio Spurs season ..."
    assert answer_segment(text) == "Graham Gano"
    assert answer_segment("faith alone\n\nQuestion: Topic: Martin Luther\nWhat ...") == "faith alone"
    assert answer_segment("  plain answer\nsecond line ") == "plain answer\nsecond line"
    assert answer_segment("\nQuestion: only a new question") == "Question: only a new question"


def test_containment_is_by_whole_words():
    d = G.details("Q?", "L", "The variable is the logarithm of the input size")
    assert not d.gold_in_prediction and not d.correct
    d = G.details("Q?", "Denver Broncos", "The Denver Broncos won.")
    assert d.gold_in_prediction and d.correct and not d.exact_match
    assert G.details("Q?", "Denver Broncos", "denver broncos").exact_match


@pytest.mark.parametrize("question,gold,prediction,expected", [
    ("Who?", "Thomas Davis", "Thomas Davis broke his arm.", True),  # contiguous gold
    ("Who?", "Leonhard Euler", "Euler", True),  # F1 2/3
    ("Who was appointed second in command?", "Major General James Abercrombie", "James Abercrombie", True),
    ("When was the soundtrack released?", "8 November 2010", "It was released on 15 November 2010.", False),
    ("How much did it cost?", "$20.4 billion", "$25.4 billion", False),  # numbers must match
    ("What term for a meeting of chiefs?", "Khuruldai", "It is called a Kurultai.", True),  # near spelling
    ("Which country's cars sold?", "Japanese", "Japan", True),  # prefix
    ("What feature enabled victories?", "fragmentation", "The army was divided.", False),  # paraphrase: missed
    ("Whom did Emma marry?", "King Ethelred II", "Emma married Æthelred the Unready, the King of England.", True),
    ("Q?", "Otrar", "", False),
    ("Q?", "Otrar", "   \n", False),
])
def test_decision_rule_hand_cases(question, gold, prediction, expected):
    assert G.judge(question, gold, prediction) is expected


def test_words_given_by_the_question_do_not_count():
    q = "Topic: Prime number\nBesides the study of prime numbers, what general theory was considered pure math?"
    d = G.details(q, "number theory", "Besides the study of prime numbers, the general theory of relativity.")
    assert d.novel_recall == 0.0 and not d.correct
    assert G.details("What?", "number theory", "number and theory").novel_recall == 1.0


def test_thresholds_are_configurable():
    strict = OfflineGrader(GraderConfig(recall_threshold=1.01, f1_threshold=1.01))
    assert G.judge("Who?", "Leonhard Euler", "Euler") and not strict.judge("Who?", "Leonhard Euler", "Euler")
    assert strict.judge("Who?", "Euler", "Leonhard Euler")
    assert OfflineGrader.name == "offline:v1"
