"""Tolerant parsing of model actions (ReAct text or JSON tool calls).

Small models format sloppily, so the *parser* forgives what can be recovered without
guessing: missing ``Thought``, markdown bold, code fences, ``<tool_call>`` tags,
arguments given as a JSON string, single quotes, Python literals and trailing commas. The
*validator* (``functions.Function.bind``) stays strict. Parsing never raises: a failure is
an ``Action`` with ``error`` set, which the episode turns into an error observation.
"""

from __future__ import annotations

import json
import re

__all__ = ["Action", "parse_action", "loads_lenient"]

# After the colon only markdown closers are skipped, not bare underscores: ToolBench names may start with "_".
_ACTION = re.compile(r"^[ \t>*#_-]*action[ \t*_]*:[ \t]*(?:\*+|__|_(?=[ \t]))?[ \t]*(.*)$", re.I | re.M)
_INPUT = re.compile(r"^[ \t>*#_-]*action[ \t_]*input[ \t*_]*:[ \t*_]*", re.I | re.M)
_INPUT_END = re.compile(r"^[ \t>*#_-]*(observation|thought|action)[ \t*_]*:", re.I | re.M)
_TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.S)
_FENCE = re.compile(r"^```[a-zA-Z]*[ \t]*\n?|\n?```[ \t]*$")
_NAME_JUNK = " \t`'\"*.:;,()"
_DECODER = json.JSONDecoder()


class Action:
    """A parsed action: a call (``name``, ``arguments``) or a parse ``error``."""

    __slots__ = ("name", "arguments", "error")

    def __init__(self, name: str = "", arguments: object = None, error: str | None = None) -> None:
        self.name = name
        self.arguments = arguments
        self.error = error


def _repair(text: str) -> str:
    """Single quotes and bare keys -> JSON strings, Python literals -> JSON, no trailing commas."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j, buf = i + 1, []
            while j < n and text[j] != c:
                if text[j] == "\\" and j + 1 < n:
                    buf.append(text[j : j + 2])
                    j += 2
                    continue
                buf.append('\\"' if text[j] == '"' else text[j])
                j += 1
            body = "".join(buf).replace("\\'", "'")
            out.append(f'"{body}"')
            i = j + 1
        elif c == ",":
            k = i + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k >= n or text[k] not in "}]":
                out.append(c)
            i += 1
        elif c.isalpha():
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            k = j
            while k < n and text[k] in " \t":
                k += 1
            if k < n and text[k] == ":":
                out.append(f'"{word}"')  # bare object key
            else:
                out.append({"True": "true", "False": "false", "None": "null"}.get(word, word))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def loads_lenient(text: str) -> object:
    """JSON value from ``text``, recovering common formatting slips; ``ValueError`` if hopeless.

    Trailing text after the value (a hallucinated observation, a closing remark) is ignored.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    body = _FENCE.sub("", text.strip()).strip()
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    body = body[min(starts) :] if starts else body
    for candidate in (body, _repair(body)):
        try:
            return _DECODER.raw_decode(candidate)[0]
        except (ValueError, RecursionError):
            continue
    raise ValueError("not valid JSON")


def _react(text: str, m: re.Match[str]) -> Action:
    name = m.group(1).strip().strip(_NAME_JUNK)
    if not name:
        return Action(error="'Action:' is empty; name the function to call.")
    inp = _INPUT.search(text, m.end())
    if inp is None:
        return Action(name, {})
    end = _INPUT_END.search(text, inp.end())
    raw = text[inp.end() : end.start() if end else len(text)].strip()
    if not raw:
        return Action(name, {})
    try:
        args = loads_lenient(raw)
    except ValueError:
        return Action(name, error=f"Action Input for {name} is not a valid JSON object.")
    return Action(name, args)


def _tool_call(text: str) -> Action:
    tag = _TAG.search(text)
    body = tag.group(1) if tag else text
    try:
        obj = loads_lenient(body)
    except ValueError:
        return Action(error="No action found. Write 'Action: <function name>' and 'Action Input: <JSON object>'.")
    if isinstance(obj, list) and obj:
        obj = obj[0]
    if isinstance(obj, dict) and isinstance(obj.get("function"), dict):
        obj = obj["function"]
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        return Action(error='A JSON tool call needs the form {"name": "<function name>", "arguments": {...}}.')
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = loads_lenient(args) if args.strip() else {}
        except ValueError:
            return Action(obj["name"], error=f"The arguments string for {obj['name']} is not valid JSON.")
    return Action(obj["name"].strip().strip(_NAME_JUNK), args)


def parse_action(text: str) -> Action:
    """One action from a model turn; the first one if the model wrote several."""
    m = _ACTION.search(text)
    if m is not None:
        return _react(text, m)
    if "{" in text:
        return _tool_call(text)
    return Action(error="No action found. Write 'Action: <function name>' and 'Action Input: <JSON object>'.")
