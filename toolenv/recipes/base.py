"""Shared pieces of task recipes: drafts, the gold-path simulator, wording helpers.

A recipe samples entities from the split's world, runs its gold calls through the real
compiled functions (so gold answers are exactly what an agent would observe) and words
the query and a reference answer from the spec's labels.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function
from toolenv.records import TaskKind, ToolCall
from toolenv.spec import FieldSpec, TableSpec
from toolenv.templates import ANSWERS, QUERIES
from toolenv.world import Row, World

__all__ = ["Draft", "Recipe", "Sim", "kind_of", "fmt", "target", "ref", "label_of", "askable",
           "filter_phrase", "draft", "locate", "make"]


class Draft(NamedTuple):
    query: str
    answer: str
    facts: list[str]
    calls: list[ToolCall]
    mutates: bool


@dataclass(frozen=True)
class Recipe:
    """One task shape over specific functions, e.g. search_ticker -> get_quote."""

    name: str
    kind: TaskKind
    functions: tuple[str, ...]
    sample: Callable[[random.Random, World], Draft | None]


def kind_of(fns: list[Function]) -> TaskKind:
    if any(f.mutates for f in fns):
        return "act"
    if len({f.name for f in fns}) == 1:
        return "G1"
    return "G2_intra" if len({f.tool.name for f in fns}) == 1 else "G2_cross"


def make(name: str, fns: list[Function], sample: Callable[[random.Random, World], Draft | None]) -> Recipe:
    return Recipe(name, kind_of(fns), tuple(f.name for f in fns), sample)


class Sim:
    """Runs gold calls on a private world state and records them as ``ToolCall``s."""

    def __init__(self, world: World) -> None:
        self.state = world.state()
        self.calls: list[ToolCall] = []
        self.mutates = False

    def __call__(self, fn: Function, **arguments: object) -> dict:
        out = fn.run(self.state, fn.bind(arguments))
        self.calls.append(ToolCall(name=fn.name, arguments=arguments))
        self.mutates = self.mutates or fn.mutates
        return out


def fmt(value: object) -> str:
    """A value as the observation shows it (JSON number syntax for floats)."""
    return json.dumps(value) if isinstance(value, float) else str(value)


def target(t: TableSpec, row: Row) -> str:
    """How a query names a searchable record: 'the company Crimson Tower Partners'."""
    name = row[t.name_field]
    return f"the {t.entity} {name}" if t.name_field == "name" else f"the {t.entity} with {t.name_label} {name}"


def ref(t: TableSpec, row: Row) -> str:
    """How a query names a record by id: 'stock STK-1162'."""
    return f"{t.entity} {row[t.key]}"


def label_of(t: TableSpec, field: str) -> str:
    return t.name_label if field == t.name_field else t.field(field).label


def askable(t: TableSpec, columns: list[str]) -> list[str]:
    """Columns a question can ask about: not the key, not foreign keys."""
    refs = {f.name for f in t.fields if f.kind == "ref"}
    return [c for c in columns if c != t.key and c not in refs]


def filter_phrase(cat: CategorySpec, f: FieldSpec, shown: str) -> str:
    """'in the Technology sector', 'issued by company CMP-1074'."""
    if f.phrase is not None:
        return f.phrase.format(shown)
    if f.kind == "ref":
        return f"for the {cat.table(f.ref).entity} {shown}"
    return f"with {f.label} {shown}"


def locate(sim: Sim, search: Function | None, cat: CategorySpec, table: str,
           row: Row) -> str | None:
    """Name the record in the query; with a search, find its id first (None if not top hit)."""
    t = cat.table(table)
    if search is None:
        return ref(t, row)
    hits = sim(search, **{search.api.op.param: row[t.name_field]})["results"]
    return target(t, row) if hits and hits[0][t.key] == row[t.key] else None


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def draft(rnd: random.Random, recipe: str, slots: dict[str, object], facts: list[object], sim: Sim,
          queries: tuple[str, ...] | None = None, answer: str | None = None) -> Draft:
    query = rnd.choice(queries or QUERIES[recipe]).format(**slots)
    reply = (answer or ANSWERS[recipe]).format(**slots)
    return Draft(_cap(query), _cap(reply), [fmt(f) for f in facts], sim.calls, sim.mutates)
