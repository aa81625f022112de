"""ToolBench's function-name normalisation.

ToolLLaMA sees every RapidAPI endpoint as ``{api_name}_for_{tool_name}``, both parts
standardised the way ToolBench's ``standardize``/``change_name`` do it (CJK characters and
``^`` survive, as in ToolBench's regex; overlong names keep their last 64 characters), so
names learnt here transfer to ToolBench-formatted data and back.
"""

from __future__ import annotations

import re

__all__ = ["standardize", "change_name", "function_name", "snake"]

_NON_WORD = re.compile("[^\u4e00-\u9fa5^a-zA-Z0-9_]")
_RUNS = re.compile(r"_+")
_RESERVED = frozenset({"from", "class", "return", "false", "true", "id", "and"})
_MAX_LEN = 64


def standardize(name: str) -> str:
    """Lowercase snake case; a leading digit gets ``get_`` as in ToolBench."""
    out = _RUNS.sub("_", _NON_WORD.sub("_", name)).lower().strip("_")
    if out and out[0].isdigit():
        out = "get_" + out
    return out


def change_name(name: str) -> str:
    """ToolBench's rename of Python-reserved API and parameter names: ``id`` -> ``is_id``."""
    return "is_" + name if name in _RESERVED else name


def function_name(api_name: str, tool_name: str) -> str:
    """The normalised function name a model must emit for one API (ToolBench keeps the last 64 chars)."""
    return f"{change_name(standardize(api_name))}_for_{standardize(tool_name)}"[-_MAX_LEN:]


def snake(text: str) -> str:
    """``"flight route"`` -> ``"flight_route"`` (record keys, parameter names)."""
    return standardize(text)
