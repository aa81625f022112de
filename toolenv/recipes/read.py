"""Read-only recipes: lookups, field questions, comparisons, joins, rankings, statistics."""

from __future__ import annotations

import random

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function
from toolenv.recipes.base import (
    Draft,
    Recipe,
    Sim,
    askable,
    draft,
    filter_phrase,
    fmt,
    label_of,
    locate,
    make,
    target,
)
from toolenv.spec import NUMERIC, TableSpec
from toolenv.templates import ANSWERS, STAT_NAMES, STAT_QUERIES
from toolenv.world import Row, World

__all__ = ["lookup_id", "field_question", "compare", "chain", "top", "stat", "quote"]


def _columns(fn: Function) -> list[str]:
    return list(fn.impl.response)


def _pick(rnd: random.Random, world: World, cat: CategorySpec, t: TableSpec, fields: list[str],
          search: Function | None) -> tuple[Row, str, Sim, str] | None:
    """A random record and field of ``t`` and how the query names the record (None when a search misses it)."""
    row, field = rnd.choice(world.tables[t.name].rows), rnd.choice(fields)
    sim = Sim(world)
    where = locate(sim, search, cat, t.name, row)
    return None if where is None else (row, field, sim, where)


def lookup_id(cat: CategorySpec, search: Function) -> Recipe:
    t = cat.table(search.api.op.table)

    def sample(rnd: random.Random, world: World) -> Draft | None:
        row = rnd.choice(world.tables[t.name].rows)
        sim = Sim(world)
        if (where := locate(sim, search, cat, t.name, row)) is None:
            return None
        slots = {"target": where, "key_label": f"{t.entity} ID", "value": row[t.key]}
        return draft(rnd, "lookup_id", slots, [row[t.key]], sim)

    return make("lookup_id", [search], sample)


def field_question(cat: CategorySpec, get: Function, search: Function | None) -> Recipe:
    """'What is the <field> of <record>?' by id (G1) or by name (search, then get)."""
    t = cat.table(get.api.op.table)
    fields = askable(t, _columns(get))
    if search is not None:  # the query already names the record
        fields = [f for f in fields if f != t.name_field]
    name = "field_by_id" if search is None else "field_by_name"

    def sample(rnd: random.Random, world: World) -> Draft | None:
        if (picked := _pick(rnd, world, cat, t, fields, search)) is None:
            return None
        row, field, sim, where = picked
        value = sim(get, **{t.key: row[t.key]})[field]
        slots = {"target": where, "ref": where, "label": label_of(t, field), "value": fmt(value)}
        return draft(rnd, name, slots, [value], sim)

    return make(name, [search, get] if search else [get], sample)


def compare(cat: CategorySpec, search: Function, get: Function) -> Recipe | None:
    t = cat.table(get.api.op.table)
    numeric = [c for c in askable(t, _columns(get)) if c != t.name_field and t.field(c).kind in NUMERIC]
    if not numeric:
        return None

    def sample(rnd: random.Random, world: World) -> Draft | None:
        a, b = rnd.sample(world.tables[t.name].rows, 2)
        field, more = rnd.choice(numeric), rnd.choice(("higher", "lower"))
        sim = Sim(world)
        values = []
        for row in (a, b):
            if locate(sim, search, cat, t.name, row) is None:
                return None
            values.append(sim(get, **{t.key: row[t.key]})[field])
        if values[0] == values[1]:
            return None
        win = 0 if (values[0] > values[1]) == (more == "higher") else 1
        winner = (a, b)[win][t.name_field]
        slots = {"target_a": target(t, a), "target_b": target(t, b), "more": more, "entity": t.entity,
                 "label": label_of(t, field), "name_label": t.name_label, "winner": winner,
                 "value": fmt(values[win])}
        return draft(rnd, "compare", slots, [winner, values[win]], sim)

    return make("compare", [search, get], sample)


def chain(cat: CategorySpec, get: Function, link: str, get2: Function, search: Function | None) -> Recipe:
    """Follow a foreign key: record -> its linked record's field."""
    t, v = cat.table(get.api.op.table), cat.table(get2.api.op.table)
    fields = askable(v, _columns(get2))

    def sample(rnd: random.Random, world: World) -> Draft | None:
        if (picked := _pick(rnd, world, cat, t, fields, search)) is None:
            return None
        row, field, sim, where = picked
        linked = sim(get, **{t.key: row[t.key]})[link]
        out = sim(get2, **{v.key: linked})
        via = out[v.name_field] if v.names is not None else linked
        slots = {"target": where, "link": t.field(link).label, "entity": v.entity,
                 "label": label_of(v, field), "via": via, "value": fmt(out[field])}
        return draft(rnd, "chain", slots, [out[field]], sim)

    return make("chain", [f for f in (search, get, get2) if f], sample)


def _group(cat: CategorySpec, fn: Function, search: Function | None, rnd: random.Random,
           world: World, sim: Sim) -> tuple[object, str] | None:
    """Pick the filter value of a list/aggregate call and the phrase naming it."""
    t = cat.table(fn.api.op.table)
    f = t.field(fn.api.op.by)
    if f.kind == "enum":
        value = rnd.choice(f.choices)
        return value, filter_phrase(cat, f, value)
    p = cat.table(f.ref)
    row = rnd.choice(world.tables[p.name].rows)
    if search is not None and locate(sim, search, cat, p.name, row) is None:
        return None
    shown = row[p.name_field] if search is not None else row[p.key]
    return row[p.key], filter_phrase(cat, f, str(shown))


def top(cat: CategorySpec, lister: Function, search: Function | None) -> Recipe:
    """The first record of a sorted list: 'the highest-rated movie in the Drama genre'."""
    op = lister.api.op
    u = cat.table(op.table)

    def sample(rnd: random.Random, world: World) -> Draft | None:
        sim = Sim(world)
        if (group := _group(cat, lister, search, rnd, world, sim)) is None:
            return None
        rows = sim(lister, **{op.by: group[0]})["results"]
        if not rows or (len(rows) > 1 and rows[0][op.order] == rows[1][op.order]):
            return None
        winner = rows[0][u.name_field] if u.names is not None else rows[0][u.key]
        slots = {"entity": u.entity, "entities": u.entities, "filter": group[1], "superlative": op.superlative,
                 "name_label": u.name_label if u.names is not None else "ID",
                 "label": label_of(u, op.order), "winner": winner, "value": fmt(rows[0][op.order])}
        return draft(rnd, "top", slots, [winner, rows[0][op.order]], sim)

    return make("top", [f for f in (search, lister) if f], sample)


def stat(cat: CategorySpec, agg: Function, search: Function | None) -> Recipe:
    op = agg.api.op
    u = cat.table(op.table)
    keys = {"count": "count", "average": f"average_{op.metric}", "max": f"max_{op.metric}",
            "min": f"min_{op.metric}"}

    def sample(rnd: random.Random, world: World) -> Draft | None:
        sim = Sim(world)
        if (group := _group(cat, agg, search, rnd, world, sim)) is None:
            return None
        out = sim(agg, **{op.by: group[0]})
        which = rnd.choice(tuple(keys))
        if not out["count"]:
            return None
        slots = {"entities": u.entities, "filter": group[1], "label": u.field(op.metric).label,
                 "value": fmt(out[keys[which]])}
        slots["stat_name"] = STAT_NAMES[which].format(**slots)
        return draft(rnd, "stat", slots, [out[keys[which]]], sim, STAT_QUERIES[which], ANSWERS["stat"])

    return make("stat", [f for f in (search, agg) if f], sample)


def quote(cat: CategorySpec, quoter: Function, search: Function | None) -> Recipe:
    op = quoter.api.op
    t = cat.table(op.table)

    def sample(rnd: random.Random, world: World) -> Draft | None:
        row, qty = rnd.choice(world.tables[t.name].rows), rnd.randint(2, 9)
        sim = Sim(world)
        if (where := locate(sim, search, cat, t.name, row)) is None:
            return None
        total = sim(quoter, **{t.key: row[t.key], op.quantity: qty})["total"]
        slots = {"total_label": op.total_label, "phrase": op.phrase.format(quantity=qty, target=where),
                 "value": fmt(total)}
        return draft(rnd, "quote", slots, [total], sim)

    return make("quote", [f for f in (search, quoter) if f], sample)
