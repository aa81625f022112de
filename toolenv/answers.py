"""Does a free-text answer state a fact? Normalised numbers and strings, no LLM judge.

A numeric fact matches any number in the answer that agrees to the fact's own precision
("142.35" accepts "$142.35" and "142.349", not "142.3"; "1234" accepts "1,234"; digits inside
ids such as "STK-4821" are not numbers). Any other
fact must appear as a whole-word phrase after case folding and punctuation removal, so
"STK-4821", "2024-05-01" and "19:30" match themselves regardless of separators.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "numbers_in", "fact_present", "fact_recall"]

_NUMERIC_FACT = re.compile(r"-?\d+(?:\.\d+)?")
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])(?<![A-Za-z]-)-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")  # not in ids
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lowercase ASCII words separated by single spaces, padded for whole-word search."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return f" {_NON_WORD.sub(' ', text).strip()} "


def numbers_in(text: str) -> list[float]:
    text = text.replace("\u2212", "-")
    return [float(m.group().replace(",", "")) for m in _NUMBER.finditer(text)]


def fact_present(fact: str, norm_answer: str, numbers: list[float]) -> bool:
    """``norm_answer`` from ``normalize``, ``numbers`` from ``numbers_in`` of the same answer."""
    if _NUMERIC_FACT.fullmatch(fact):
        value = float(fact)
        decimals = len(fact.partition(".")[2])
        tol = 0.5 * 10.0**-decimals + 1e-9 if decimals else 1e-9
        return any(abs(x - value) <= tol for x in numbers)
    return normalize(fact) in norm_answer


def fact_recall(facts: list[str], answer: str | None) -> float:
    """Fraction of ``facts`` stated in ``answer`` (1.0 when there are no facts)."""
    if not facts:
        return 1.0
    if not answer:
        return 0.0
    norm, nums = normalize(answer), numbers_in(answer)
    return sum(fact_present(f, norm, nums) for f in facts) / len(facts)
