"""ToolBench's ``template_response``: a dict, nothing, or a JSON string cut at 1,000 characters.

About one template in twenty arrives as a truncated JSON string; rather than lose its
shape, the longest prefix that ends after a complete item is closed and parsed.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["parse_template"]

_CLOSE = {"{": "}", "[": "]"}


def _salvage(text: str) -> Any:
    """Parse the longest prefix of truncated JSON that ends before a top-level-or-nested comma."""
    stack: list[str] = []
    cuts: list[tuple[int, str]] = []
    in_string = escaped = False
    for i, c in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in _CLOSE:
            stack.append(_CLOSE[c])
        elif c in "}]" and stack:
            stack.pop()
        elif c == "," and stack:
            cuts.append((i, "".join(reversed(stack))))
    for i, closers in reversed(cuts[-64:]):
        try:
            return json.loads(text[:i] + closers)
        except ValueError:
            continue
    return None


def parse_template(raw: object) -> Any:
    """A dict or list template, or None when there is no usable one."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = _salvage(raw)
    if isinstance(raw, (dict, list)) and raw:
        return raw
    return None
