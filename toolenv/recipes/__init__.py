"""Task recipes derived from a category's spec.

``build_recipes`` enumerates every gold-path shape the category's APIs support, e.g.
``search -> get`` (field by name), ``get -> get`` over a foreign key (chain),
``search -> list -> create`` (book the earliest showing of a named movie). Each recipe's
kind follows from its functions: one API -> G1, several in one tool -> G2_intra, several
tools -> G2_cross, any mutation -> act.
"""

from __future__ import annotations

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function
from toolenv.recipes.act import create, update
from toolenv.recipes.base import Draft, Recipe
from toolenv.recipes.read import chain, compare, field_question, lookup_id, quote, stat, top
from toolenv.spec import Aggregate, Create, Get, ListBy, Quote, Search, Update

__all__ = ["Draft", "Recipe", "build_recipes"]


def build_recipes(cat: CategorySpec, functions: dict[str, Function]) -> list[Recipe]:
    fns = list(functions.values())

    def of(kind: type, table: str | None = None) -> list[Function]:
        return [f for f in fns if isinstance(f.api.op, kind) and table in (None, f.api.op.table)]

    out: list[Recipe | None] = []
    for t in cat.tables:
        for s in of(Search, t.name):
            out.append(lookup_id(cat, s))
        for g in of(Get, t.name):
            out.append(field_question(cat, g, None))
            for s in of(Search, t.name):
                out += [field_question(cat, g, s), compare(cat, s, g)]
            for link in (c for c in g.impl.response if c != t.key and c in {f.name for f in t.fields}):
                if t.field(link).kind != "ref":
                    continue
                for g2 in of(Get, t.field(link).ref):
                    out.append(chain(cat, g, link, g2, None))
                    out += [chain(cat, g, link, g2, s) for s in of(Search, t.name)]
    for lister in of(ListBy) + of(Aggregate):
        build = top if isinstance(lister.api.op, ListBy) else stat
        by = cat.table(lister.api.op.table).field(lister.api.op.by)
        out.append(build(cat, lister, None))
        if by.kind == "ref":
            out += [build(cat, lister, s) for s in of(Search, by.ref)]
    for q in of(Quote):
        out += [quote(cat, q, None)] + [quote(cat, q, s) for s in of(Search, q.api.op.table)]
    for c in of(Create):
        out += _creates(cat, c, of)
    for u in of(Update):
        out += [update(cat, u)] + [update(cat, u, s) for s in of(Search, u.api.op.table)]
    return [r for r in out if r is not None]


def _creates(cat: CategorySpec, c: Function, of) -> list[Recipe]:
    op = c.api.op
    if op.via is None:
        return [create(cat, c)]
    parent = cat.table(cat.table(op.table).field(op.via).ref)
    confirm = next(iter(of(Get, parent.name)), None) if op.decrement else None
    out = [create(cat, c, None, None, confirm)]
    out += [create(cat, c, s, None, confirm) for s in of(Search, parent.name)]
    for lister in of(ListBy, parent.name):
        by = parent.field(lister.api.op.by)
        if by.kind == "ref":
            out += [create(cat, c, s, lister, confirm) for s in of(Search, by.ref)]
    return out
