"""ToolBench's function-name normalisation.

ToolLLaMA sees every RapidAPI endpoint as ``{api_name}_for_{tool_name}``, both parts
standardised the way ToolBench's ``standardize``/``change_name`` do it, so names learnt
here transfer to ToolBench-formatted data and back.
"""

from __future__ import annotations

import re

__all__ = ["standardize", "function_name", "snake"]

_NON_WORD = re.compile(r"[^a-zA-Z0-9_]")
_RUNS = re.compile(r"_+")
_RESERVED = frozenset({"from", "class", "return", "false", "true", "id", "and"})
_MAX_LEN = 64


def standardize(name: str) -> str:
    """Lowercase snake case; a leading digit gets ``get_`` as in ToolBench."""
    out = _RUNS.sub("_", _NON_WORD.sub("_", name)).lower().strip("_")
    if out and out[0].isdigit():
        out = "get_" + out
    return out


def function_name(api_name: str, tool_name: str) -> str:
    """The normalised function name a model must emit for one API."""
    api = standardize(api_name)
    if api in _RESERVED:
        api = "is_" + api
    return f"{api}_for_{standardize(tool_name)}"[:_MAX_LEN]


def snake(text: str) -> str:
    """``"flight route"`` -> ``"flight_route"`` (record keys, parameter names)."""
    return standardize(text)
