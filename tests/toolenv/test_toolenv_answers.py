"""Fact matching without an LLM: numbers to the fact's precision, strings as whole words."""

import pytest

from toolenv.answers import fact_recall

FOUND = [
    ("142.35", "The price is $142.35."),
    ("142.35", "about 142.349 USD"),
    ("1234567", "1,234,567 riders"),
    ("-3.5", "low of \u22123.5 C"),
    ("4.0", "rated 4 out of 5"),
    ("STK-4821", "stock stk-4821 it is"),
    ("2024-05-01", "on 2024/05/01"),
    ("19:30", "starts at 19:30."),
    ("The Silent River", "Answer: the silent river!"),
]
NOT_FOUND = [
    ("142.35", "The price is 142.3."),
    ("42", "42.4"),
    ("4821", "STK-4821"),
    ("Lyon", "Lyonnais"),
    ("STK-4821", "STK-48210"),
    ("12", ""),
]


@pytest.mark.parametrize("fact, answer, recall",
                         [(*case, 1.0) for case in FOUND] + [(*case, 0.0) for case in NOT_FOUND])
def test_a_fact_is_found_or_not(fact, answer, recall):
    assert fact_recall([fact], answer) == recall


def test_recall_is_the_fraction_of_facts():
    assert fact_recall(["a", "7"], "a and 8") == 0.5
    assert fact_recall([], None) == 1.0 and fact_recall(["a"], None) == 0.0
