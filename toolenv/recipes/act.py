"""Recipes that change the world: create (book, order, buy) and update (cancel, move).

Success on these also requires the final world to equal the gold world. Creates that
consume stock (seats, rooms) are followed by a confirming lookup whose value the answer
must report, which is the "act, then confirm" pattern of ToolBench G2 tasks.
"""

from __future__ import annotations

import random

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function
from toolenv.recipes.base import Draft, Recipe, Sim, askable, draft, filter_phrase, fmt, label_of, locate, make
from toolenv.templates import listing
from toolenv.world import World, draw_value

__all__ = ["create", "update"]


def _parent(cat: CategorySpec, world: World, sim: Sim, rnd: random.Random, creator: Function,
            search: Function | None, lister: Function | None) -> tuple[str, str] | None:
    """(parent id, phrase naming it): by id, by name, or as the top child of a named record."""
    p = cat.table(cat.table(creator.api.op.table).field(creator.api.op.via).ref)
    if lister is None:
        row = rnd.choice(world.tables[p.name].rows)
        where = locate(sim, search, cat, p.name, row)
        return None if where is None else (row[p.key], where)
    op = lister.api.op
    g = cat.table(p.field(op.by).ref)
    row = rnd.choice(world.tables[g.name].rows)
    if locate(sim, search, cat, g.name, row) is None:
        return None
    rows = sim(lister, **{op.by: row[g.key]})["results"]
    if not rows or (len(rows) > 1 and rows[0][op.order] == rows[1][op.order]):
        return None
    shown = filter_phrase(cat, p.field(op.by), str(row[g.name_field]))
    return rows[0][p.key], f"the {op.superlative} {p.entity} {shown}"


def create(cat: CategorySpec, creator: Function, search: Function | None = None,
           lister: Function | None = None, confirm: Function | None = None) -> Recipe:
    op = creator.api.op
    t = cat.table(op.table)
    p = cat.table(t.field(op.via).ref) if op.via else None

    def sample(rnd: random.Random, world: World) -> Draft | None:
        sim = Sim(world)
        args: dict[str, object] = {}
        slots: dict[str, object] = {}
        if p is not None:
            if (found := _parent(cat, world, sim, rnd, creator, search, lister)) is None:
                return None
            args[op.via], slots["target"] = found
        for name in op.sets:
            args[name] = draw_value(t.field(name), t.vocab, rnd)
        left = 4 if op.decrement is None else sim.state.tables[p.name].by_id[args[op.via]][op.decrement]
        if left < 1:
            return None
        if op.quantity is not None:
            cap = min(4, left, int(t.field(op.quantity).high))
            args[op.quantity] = rnd.randint(min(2, cap), cap)
        new = sim(creator, **args)
        facts: list[object] = [new[t.key]]
        asks, tells = [f"the {t.entity} ID"], [f"The {t.entity} ID is {new[t.key]}"]
        if op.cost is not None:
            label = t.field(op.cost[1]).label
            facts.append(new[op.cost[1]])
            asks.append(f"the {label}")
            tells.append(f"the {label} is {fmt(new[op.cost[1]])}")
        if confirm is not None:
            left = sim(confirm, **{p.key: args[op.via]})[op.decrement]
            label = p.field(op.decrement).label
            label = label if label.startswith("number of") else f"number of {label}"
            facts.append(left)
            asks.append(f"the {label} afterwards")
            tells.append(f"the {label} is now {left}")
        action = op.phrase.format(**slots, **{n: fmt(args[n]) for n in op.sets})
        fill = {"action": action, "asks": listing(asks), "tells": listing(tells)}
        return draft(rnd, "create", fill, facts, sim)

    name = "create" + ("_for_child" if lister else "_by_name" if search else "_by_id" if p else "")
    return make(name, [f for f in (search, lister, creator, confirm) if f], sample)


def update(cat: CategorySpec, updater: Function, search: Function | None = None) -> Recipe:
    """Change a record, then report something only the system knows: its id (when the query
    names it) or another of its fields (when the query gives the id)."""
    op = updater.api.op
    t = cat.table(op.table)
    f = t.field(op.field)
    others = [c for c in askable(t, list(updater.impl.response)) if c != op.field]

    def sample(rnd: random.Random, world: World) -> Draft | None:
        row = rnd.choice(world.tables[t.name].rows)
        value = op.value if op.value is not None else draw_value(f, t.vocab, rnd)
        if row[op.field] == value:
            return None
        sim = Sim(world)
        if (where := locate(sim, search, cat, t.name, row)) is None:
            return None
        args = {t.key: row[t.key]} | ({} if op.value is not None else {op.field: value})
        out = sim(updater, **args)
        asked = t.key if search is not None else rnd.choice(others)
        label = f"{t.entity} ID" if search is not None else label_of(t, asked)
        slots = {"action": op.phrase.format(target=where, value=fmt(value)), "target": where,
                 "label": label, "value": fmt(out[asked])}
        return draft(rnd, "update", slots, [out[asked]], sim)

    return make("update_by_name" if search else "update_by_id", [f for f in (search, updater) if f], sample)
