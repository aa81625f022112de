"""API parameters and their precompiled strict validators.

Validation is on the per-step hot path, so each parameter carries one small closure that
returns the canonical value (ids upper-cased, enum values in their documented spelling)
or raises ``ArgError`` with a message that tells the model exactly what was expected.
No pydantic here: a step must cost microseconds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import NamedTuple

from toolenv.spec import FieldSpec

__all__ = ["ArgError", "Param", "string_param", "id_param", "number_param", "field_param"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
DATE_TYPE = "DATE (YYYY-MM-DD)"
TIME_TYPE = "TIME (24-hour HH:MM)"


class ArgError(ValueError):
    """An argument is missing, unexpected or has the wrong type or value."""


class Param(NamedTuple):
    name: str
    type: str
    description: str
    required: bool
    default: object
    check: Callable[[object], object]
    choices: tuple[str, ...] = ()


def _shown(v: object) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def _kind(v: object) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object", type(None): "null"}.get(type(v), type(v).__name__)


def _fail(name: str, want: str, v: object) -> ArgError:
    return ArgError(f"argument '{name}' must be {want}, got {_kind(v)} {_shown(v)}")


def _string(name: str) -> Callable[[object], object]:
    def check(v: object) -> str:
        if type(v) is not str:
            raise _fail(name, "a STRING", v)
        return v.strip()

    return check


def _ident(name: str) -> Callable[[object], object]:
    def check(v: object) -> str:
        if type(v) is not str:
            raise _fail(name, "a STRING id", v)
        return v.strip().upper()

    return check


def _number(name: str, integer: bool, low: float | None, high: float | None) -> Callable[[object], object]:
    want = "an integer NUMBER" if integer else "a NUMBER"
    if low is not None:
        want += f" between {low:g} and {high:g}"

    def check(v: object) -> int | float:
        t = type(v)
        if (t is not int and t is not float) or (t is float and not math.isfinite(v)):
            raise _fail(name, want, v)
        if integer and v != int(v):
            raise _fail(name, want, v)
        if low is not None and not low <= v <= high:
            raise _fail(name, want, v)
        return int(v) if integer else v

    return check


def _enum(name: str, choices: tuple[str, ...]) -> Callable[[object], object]:
    canon = {c.lower(): c for c in choices}
    want = "one of " + ", ".join(choices)

    def check(v: object) -> str:
        if type(v) is not str or v.strip().lower() not in canon:
            raise _fail(name, want, v)
        return canon[v.strip().lower()]

    return check


def _pattern(name: str, rx: re.Pattern[str], want: str, parse: Callable[[str], object]) -> Callable[[object], object]:
    def check(v: object) -> str:
        if type(v) is not str or not rx.fullmatch(v.strip()):
            raise _fail(name, want, v)
        try:
            parse(v.strip())
        except ValueError:
            raise _fail(name, want, v) from None
        return v.strip()

    return check


def string_param(name: str, description: str, required: bool = True) -> Param:
    return Param(name, "STRING", description, required, "", _string(name))


def id_param(name: str, description: str) -> Param:
    return Param(name, "STRING", description, True, "", _ident(name))


def number_param(name: str, description: str, *, integer: bool = True, low: float | None = None,
                 high: float | None = None, default: object = None) -> Param:
    return Param(name, "NUMBER", description, default is None, default if default is not None else "",
                 _number(name, integer, low, high))


def field_param(f: FieldSpec, description: str, *, low: float | None = None, high: float | None = None) -> Param:
    """A required parameter typed like a table column (used by create/update/filters)."""
    if f.kind == "enum":
        desc = f"{description} One of: {', '.join(f.choices)}."
        return Param(f.name, "ENUM", desc, True, "", _enum(f.name, f.choices), f.choices)
    if f.kind in ("int", "float"):
        lo = f.low if low is None else low
        hi = f.high if high is None else high
        return number_param(f.name, f"{description.rstrip('.')} ({lo:g}-{hi:g}).", integer=f.kind == "int",
                            low=lo, high=hi)
    if f.kind == "date":
        return Param(f.name, DATE_TYPE, description, True, "",
                     _pattern(f.name, _DATE, "a DATE (YYYY-MM-DD)", dt.date.fromisoformat))
    if f.kind == "time":
        return Param(f.name, TIME_TYPE, description, True, "",
                     _pattern(f.name, _TIME, "a TIME (HH:MM, 24-hour)", str))
    if f.kind == "ref":
        return id_param(f.name, description)
    return string_param(f.name, description)
