"""Arguments checked against an API's docs, the same way in every response mode.

Strict where the docs are unambiguous (a JSON object; no unknown parameter; every required
parameter present and non-empty; NUMBER numeric; BOOLEAN a boolean; scalars where scalars
are documented), lenient where ToolBench itself is: numbers may come as numeric strings,
documented parameter spellings are accepted for their normalised names, and ``null`` means
"not given". The result is the canonical argument dict that keys caches and mock hashes.
``example_arguments`` builds a call from the docs alone (the oracle's and the corpus's).
"""

from __future__ import annotations

from typing import Any

from toolenv.params import ArgError
from toolenv.toolbench.records import ToolBenchApi, ToolBenchParam

__all__ = ["bind_arguments", "signature", "check_value", "example_arguments"]

_BOOLEAN_TEXT = frozenset({"true", "false", "1", "0"})
_PLACEHOLDERS: dict[str, Any] = {"NUMBER": 10, "BOOLEAN": True, "DATE (YYYY-MM-DD)": "2023-06-15",
                                 "TIME (24-HOUR HH:MM)": "12:00", "ARRAY": ["example"], "OBJECT": {}}


def signature(api: ToolBenchApi) -> str:
    """``fn(a: STRING, b: NUMBER = "10")``: what error messages show the model."""
    args = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f" = {p.default!r}") for p in api.params)
    return f"{api.function_name}({args})"


def _is_number(v: object) -> bool:
    if type(v) in (int, float):
        return True
    if type(v) is str:
        try:
            float(v.strip())
            return True
        except ValueError:
            return False
    return False


def check_value(p: ToolBenchParam, v: object) -> str | None:
    """Why ``v`` does not fit ``p`` (a message), or None when it does."""
    kind = p.type.upper()
    if kind == "NUMBER":
        return None if _is_number(v) else "a NUMBER"
    if kind == "BOOLEAN":
        ok = type(v) is bool or (type(v) is int and v in (0, 1)) or (type(v) is str and v.lower() in _BOOLEAN_TEXT)
        return None if ok else "a BOOLEAN (true or false)"
    if kind == "ARRAY":
        return None if isinstance(v, (list, str)) else "an ARRAY"
    if kind == "OBJECT":
        return None if isinstance(v, (dict, str)) else "an OBJECT"
    return None if isinstance(v, (str, int, float, bool)) else f"a {p.type} value"


def bind_arguments(api: ToolBenchApi, arguments: object) -> dict[str, Any]:
    """Canonical arguments (normalised names, documented order, nulls dropped) or ``ArgError``."""
    if type(arguments) is not dict:
        raise ArgError(f"arguments must be a JSON object; expected {signature(api)}")
    by_name = {p.name: p for p in api.params}
    for p in api.params:
        by_name.setdefault(p.raw_name, p)
    given: dict[str, Any] = {}
    for key, value in arguments.items():
        p = by_name.get(key) if type(key) is str else None
        if p is None:
            raise ArgError(f"unexpected argument {str(key)[:60]!r}; expected {signature(api)}")
        if value is None:
            continue
        problem = check_value(p, value)
        if problem is not None:
            raise ArgError(f"argument '{p.name}' must be {problem}, got {str(value)[:40]!r}; expected {signature(api)}")
        given[p.name] = value
    for p in api.params:
        if p.required and (p.name not in given or given[p.name] == ""):
            state = "empty" if p.name in given else "missing"
            raise ArgError(f"{state} required argument '{p.name}'; expected {signature(api)}")
    return {p.name: given[p.name] for p in api.params if p.name in given}


def example_arguments(api: ToolBenchApi) -> dict[str, Any]:
    """Arguments built from the docs alone: each required parameter's documented example value
    when it is valid, else a placeholder of its type; optional parameters are left out."""
    out: dict[str, Any] = {}
    for p in api.params:
        if not p.required:
            continue
        default = p.default
        ok = default not in ("", None) and check_value(p, default) is None
        out[p.name] = default if ok else _PLACEHOLDERS.get(p.type.upper(), "example")
    return out
