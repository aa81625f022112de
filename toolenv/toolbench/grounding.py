"""Does an answer use values the API calls returned? Decided from the observations, no LLM.

Evidence is every value an observation shows: strings of 3-120 characters (whole, after
case folding and punctuation removal) and numbers with at least three significant digits
(standalone or inside longer strings). Values that also occur in the query or in the
call arguments are not evidence: echoing them proves nothing. Observations cut short by
the episode's length limit are scanned for their complete JSON literals. A number in an
answer states a returned number when it agrees to the answer's own precision ("1234.57"
or "1,235" for 1234.5678); a phrase must appear as whole words.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any, NamedTuple

from toolenv.answers import normalize

__all__ = ["Evidence", "observation_evidence", "value_evidence", "stated_values"]

_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?')
_JSON_NUMBER = re.compile(r"(?<=[:\[,])\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?=\s*[,\]}])")
_NUMBER = re.compile(r"(?<![A-Za-z0-9._])(?<![A-Za-z]-)-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![A-Za-z0-9_])")
_PLAIN = re.compile(r"-?\d+(?:\.\d+)?")
_MAX_PHRASE = 120


class Evidence(NamedTuple):
    key: str
    text: str
    number: float | None


def _significant(text: str) -> int:
    return len(text.lstrip("-").replace(",", "").replace(".", "").lstrip("0"))


def _numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals written) of each number in ``text`` (digits inside ids excluded)."""
    out = []
    for m in _NUMBER.finditer(text.replace("\u2212", "-")):
        s = m.group()
        out.append((float(s.replace(",", "")), len(s.partition(".")[2])))
    return out


class _Collector:
    def __init__(self, exclude: str) -> None:
        self.norm_exclude = normalize(exclude)
        self.exclude_numbers = {v for v, _ in _numbers(exclude)}
        self.out: dict[str, Evidence] = {}

    def number(self, key: str, text: str) -> None:
        plain = text.replace(",", "")
        if not _PLAIN.fullmatch(plain):
            return
        value = float(plain)
        if _significant(text) >= 3 and value not in self.exclude_numbers:
            self.out.setdefault(f"#{value!r}", Evidence(key, text, value))

    def string(self, key: str, s: str) -> None:
        s = s.strip()
        if s[:1] in "{[":
            for parse in (json.loads, ast.literal_eval):
                try:
                    return self.walk(parse(s) if len(s) < 100_000 else None, key)
                except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                    continue
        norm = normalize(s)
        if 3 <= len(norm.strip()) and len(s) <= _MAX_PHRASE and norm not in self.norm_exclude:
            if _NUMBER.fullmatch(s):
                return self.number(key, s)
            self.out.setdefault(norm, Evidence(key, s, None))
        for m in _NUMBER.finditer(s):
            self.number(key, m.group())

    def walk(self, value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self.walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                self.walk(v, key)
        elif isinstance(value, str):
            self.string(key, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            self.number(key, repr(value))

    def scan(self, text: str) -> None:
        """Complete literals of JSON cut short: strings that are not keys, and numbers."""
        key = ""
        for m in _STRING.finditer(text):
            try:
                s = json.loads(f'"{m.group(1)}"')
            except ValueError:
                continue
            if m.group(2):
                key = s
            else:
                self.string(key, s)
        for m in _JSON_NUMBER.finditer(text):
            self.number("", m.group(1))


def observation_evidence(observations: list[str], exclude: str = "") -> list[Evidence]:
    """The evidence in ``observations`` (``{"error", "response"}`` texts), first seen first."""
    c = _Collector(exclude)
    for obs in observations:
        try:
            value = json.loads(obs)
        except ValueError:
            c.scan(obs)
            continue
        c.walk(value.get("response", value) if isinstance(value, dict) else value)
    return list(c.out.values())


def value_evidence(value: Any, exclude: str = "") -> list[Evidence]:
    """The evidence in one response value."""
    c = _Collector(exclude)
    c.walk(value)
    return list(c.out.values())


def stated_values(answer: str, evidence: list[Evidence]) -> list[str]:
    """The evidence values ``answer`` states."""
    norm = normalize(answer)
    numbers = _numbers(answer)
    out = []
    for e in evidence:
        if e.number is None:
            hit = normalize(e.text) in norm
        else:
            hit = any(abs(e.number - v) <= 0.5 * 10.0**-d + 1e-9 and _significant(f"{v:.{d}f}") >= 3
                      for v, d in numbers)
        if hit:
            out.append(e.text)
    return out
