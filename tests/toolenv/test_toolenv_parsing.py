"""Tolerant parsing of ReAct text and JSON tool calls; fuzzing proves it never raises."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolenv.parsing import loads_lenient, parse_action

CASES = [
    ('Thought: x\nAction: get_quote_for_stock_quotes\nAction Input: {"stock_id": "STK-1"}',
     "get_quote_for_stock_quotes", {"stock_id": "STK-1"}),
    ('Action: f\nAction Input: {"a": 1}', "f", {"a": 1}),  # no Thought
    ('  Thought:  x \n\n Action :  f \n Action Input :\n```json\n{"a": 1,}\n```\n', "f", {"a": 1}),
    ("**Action:** `f`\n**Action Input:** {'a': 'x', b: True, 'c': None}", "f", {"a": "x", "b": True, "c": None}),
    ('Action: f\nAction Input: {"a": 1}\nObservation: {"fake": true}\nThought: more', "f", {"a": 1}),
    ('{"name": "f", "arguments": {"a": 1}}', "f", {"a": 1}),
    ('<tool_call>\n{"name": "f", "arguments": "{\\"a\\": 1}"}\n</tool_call>', "f", {"a": 1}),
    ('```json\n{"name": "f", "parameters": {"a": [1, 2,]}}\n```', "f", {"a": [1, 2]}),
    ('[{"type": "function", "function": {"name": "f", "arguments": {}}}]', "f", {}),
    ('Action: Finish\nAction Input: {"return_type": "give_answer", "final_answer": "It\'s 42"}',
     "Finish", {"return_type": "give_answer", "final_answer": "It's 42"}),
    ("Action: f", "f", {}),
]


@pytest.mark.parametrize("text, name, arguments", CASES)
def test_recoverable_formats_parse(text, name, arguments):
    action = parse_action(text)
    assert action.error is None and action.name == name and action.arguments == arguments


@pytest.mark.parametrize("text", ["hello", "", "{", "Action:\nAction Input: {}", '{"arguments": {}}',
                                  "Action: f\nAction Input: {not json at all"])
def test_hopeless_text_gives_an_error_not_an_exception(text):
    assert parse_action(text).error


def test_lenient_json_refuses_to_guess():
    assert loads_lenient('{"a": 1} trailing words') == {"a": 1}
    with pytest.raises(ValueError):
        loads_lenient("[" * 3000)


json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                           max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text_never_raises(text):
    action = parse_action(text)
    assert action.error is not None or isinstance(action.name, str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.dictionaries(st.text(max_size=8), json_values, max_size=4),
       st.sampled_from(["react", "tool", "tag", "string-args"]))
def test_fuzz_structured_actions_round_trip(name, arguments, form):
    body = json.dumps(arguments)
    text = {
        "react": f"Thought: t\nAction: {name}\nAction Input: {body}",
        "tool": json.dumps({"name": name, "arguments": arguments}),
        "tag": f"<tool_call>{json.dumps({'name': name, 'arguments': arguments})}</tool_call>",
        "string-args": json.dumps({"name": name, "arguments": body}),
    }[form]
    action = parse_action(text)  # never raises
    if form != "react":  # JSON forms carry any name and object arguments losslessly
        assert action.error is None
        assert json.dumps(action.arguments) == body
