"""What each generic operation means: its parameters, its effect on the world, its reply.

``compile_op`` turns one declarative op (``spec.Search`` ... ``spec.Update``) into an
``OpImpl`` whose ``run(state, args)`` takes already-validated arguments. Runners are
closures over precomputed names so the hot path is a few dict lookups. Failures that
depend on the world (unknown id, sold out) raise ``ApiError``; callers turn it into an
error observation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from toolenv.category_spec import CategorySpec
from toolenv.params import Param, field_param, id_param, number_param, string_param
from toolenv.spec import Aggregate, Create, Get, ListBy, Quote, Search, TableSpec, Update
from toolenv.world import Row, WorldState

__all__ = ["ApiError", "OpImpl", "compile_op"]

_TYPE = {"int": "int", "float": "float"}


class ApiError(RuntimeError):
    """A well-formed call the world cannot satisfy (unknown id, nothing left to book...)."""


class OpImpl(NamedTuple):
    params: tuple[Param, ...]
    run: Callable[[WorldState, dict], object]
    method: str
    mutates: bool
    response: dict[str, object]
    thought: Callable[[dict], str]


def _columns(t: TableSpec, fields: tuple[str, ...] = ()) -> list[str]:
    head = [t.key] + ([t.name_field] if t.names is not None else [])
    return head + [f.name for f in t.fields if not fields or f.name in fields]


def _shape(t: TableSpec, cols: list[str]) -> dict[str, str]:
    kinds = {f.name: f.kind for f in t.fields}
    return {c: _TYPE.get(kinds.get(c, ""), "str") for c in cols}


def _limit() -> Param:
    return number_param("limit", "Maximum number of results (1-10).", low=1, high=10, default=5)


def _missing(t: TableSpec, value: object) -> ApiError:
    return ApiError(f"No {t.entity} with {t.key} '{value}'.")


def _search(cat: CategorySpec, op: Search) -> OpImpl:
    t = cat.table(op.table)
    cols = [t.key, t.name_field, *op.extra]
    label = "name" if t.name_field == "name" else t.name_label
    q_name = op.param

    def run(state: WorldState, args: dict) -> object:
        exact, pairs = state.tables[op.table].names()
        q = args[q_name].lower()
        limit = args["limit"]
        first = exact.get(q)
        hits = [first] if first is not None else []
        for name, row in pairs:
            if len(hits) >= limit:
                break
            if q in name and row is not first:
                hits.append(row)
        if not hits and " " in q:
            words = q.split()
            hits = [r for n, r in pairs if all(w in n for w in words)][:limit]
        return {"results": [{c: r[c] for c in cols} for r in hits]}

    params = (string_param(q_name, f"The {t.entity}'s {label}, or part of it."), _limit())
    return OpImpl(params, run, "GET", False, {"results": [_shape(t, cols)]},
                  lambda a: f"I need the {t.key} of the {t.entity} '{a[q_name]}'.")


def _get(cat: CategorySpec, op: Get) -> OpImpl:
    t = cat.table(op.table)
    cols = _columns(t, op.fields)
    key = t.key

    def run(state: WorldState, args: dict) -> object:
        row = state.tables[op.table].by_id.get(args[key])
        if row is None:
            raise _missing(t, args[key])
        return {c: row[c] for c in cols}

    return OpImpl((id_param(key, f"ID of the {t.entity}."),), run, "GET", False, _shape(t, cols),
                  lambda a: f"Now I can look up {t.entity} {a[key]}.")


def _filter(cat: CategorySpec, t: TableSpec, by: str) -> tuple[Param, Callable[[WorldState, object], None]]:
    """The filter parameter of list/aggregate, and a check that a referenced parent exists."""
    f = t.field(by)
    if f.kind != "ref":
        return field_param(f, f"The {f.label} to filter by."), lambda state, v: None
    parent = cat.table(f.ref)

    def exists(state: WorldState, v: object) -> None:
        if v not in state.tables[parent.name].by_id:
            raise _missing(parent, v)

    return id_param(by, f"ID of the {parent.entity}."), exists


def _list(cat: CategorySpec, op: ListBy) -> OpImpl:
    t = cat.table(op.table)
    cols = _columns(t, op.fields or (op.order,))
    param, exists = _filter(cat, t, op.by)

    def run(state: WorldState, args: dict) -> object:
        value = args[op.by]
        exists(state, value)
        rows = state.tables[op.table].sorted_group(op.by, value, op.order, op.descending)
        return {"results": [{c: r[c] for c in cols} for r in rows[: args["limit"]]], "total": len(rows)}

    order = f"{t.field(op.order).label}, {'highest' if op.descending else 'lowest'} first"
    return OpImpl((param, _limit()), run, "GET", False, {"results": [_shape(t, cols)], "total": "int"},
                  lambda a: f"List the {t.entities} for {op.by} {a[op.by]} ({order}).")


def _aggregate(cat: CategorySpec, op: Aggregate) -> OpImpl:
    t = cat.table(op.table)
    m = op.metric
    param, exists = _filter(cat, t, op.by)
    names = (f"average_{m}", f"min_{m}", f"max_{m}")

    def run(state: WorldState, args: dict) -> object:
        value = args[op.by]
        exists(state, value)
        vals = [r[m] for r in state.tables[op.table].group(op.by).get(value, ())]
        stats = (round(sum(vals) / len(vals), 2), min(vals), max(vals)) if vals else (None, None, None)
        return {op.by: value, "count": len(vals), **dict(zip(names, stats, strict=True))}

    shape = {op.by: "str", "count": "int", **{n: "float" for n in names}}
    return OpImpl((param,), run, "GET", False, shape,
                  lambda a: f"Get {t.field(m).label} statistics of {t.entities} for {op.by} {a[op.by]}.")


def _quote(cat: CategorySpec, op: Quote) -> OpImpl:
    t = cat.table(op.table)
    key, qty, price = t.key, op.quantity, op.price
    head = [key] + ([t.name_field] if t.names is not None else [])

    def run(state: WorldState, args: dict) -> object:
        row = state.tables[op.table].by_id.get(args[key])
        if row is None:
            raise _missing(t, args[key])
        out = {c: row[c] for c in head}
        out.update({price: row[price], qty: args[qty], "total": round(row[price] * args[qty], 2)})
        return out

    params = (id_param(key, f"ID of the {t.entity}."),
              number_param(qty, f"Number of {qty.replace('_', ' ')} (1-1000).", low=1, high=1000))
    shape = {**_shape(t, [*head, price]), qty: "int", "total": "float"}
    return OpImpl(params, run, "GET", False, shape, lambda a: f"Compute the {op.total_label}.")


def _create(cat: CategorySpec, op: Create) -> OpImpl:
    t = cat.table(op.table)
    parent = cat.table(t.field(op.via).ref) if op.via else None
    params = [id_param(op.via, f"ID of the {parent.entity}.")] if parent else []
    for name in op.sets:
        f = t.field(name)
        low = 1 if name == op.quantity else None
        params.append(field_param(f, f"{f.label[0].upper()}{f.label[1:]}.", low=low))
    fixed = dict(op.defaults)
    columns = _columns(t)

    def run(state: WorldState, args: dict) -> object:
        row: Row = {}
        qty = args[op.quantity] if op.quantity else 1
        if parent is not None:
            pid = args[op.via]
            prow = state.tables[parent.name].by_id.get(pid)
            if prow is None:
                raise _missing(parent, pid)
            if op.decrement is not None:
                left = prow[op.decrement]
                if left < qty:
                    label = parent.field(op.decrement).label
                    raise ApiError(f"Only {left} {label} remaining for {parent.entity} {pid}.")
                state.writable(parent.name).by_id[pid][op.decrement] = left - qty
            row[op.via] = pid
            if op.cost is not None:
                row[op.cost[1]] = round(prow[op.cost[0]] * qty, 2)
        table = state.writable(op.table)
        row.update(fixed)
        row.update({n: args[n] for n in op.sets})
        row[t.key] = f"{t.prefix}-{table.next_id}"
        row = {c: row[c] for c in columns}
        table.insert(row)
        return dict(row)

    shape = _shape(t, columns)
    return OpImpl(tuple(params), run, "POST", True, shape, lambda a: "Now I can submit the request.")


def _update(cat: CategorySpec, op: Update) -> OpImpl:
    t = cat.table(op.table)
    key, field, cols = t.key, op.field, _columns(t)
    params = [id_param(key, f"ID of the {t.entity}.")]
    if op.value is None:
        params.append(field_param(t.field(field), f"New {t.field(field).label}."))

    def run(state: WorldState, args: dict) -> object:
        row = state.tables[op.table].by_id.get(args[key])
        if row is None:
            raise _missing(t, args[key])
        value = op.value if op.value is not None else args[field]
        if row[field] == value:
            raise ApiError(f"{t.entity.capitalize()} {args[key]} already has {field} '{value}'.")
        row = state.writable(op.table).by_id[args[key]]
        row[field] = value
        return {c: row[c] for c in cols}

    return OpImpl(tuple(params), run, "PATCH", True, _shape(t, cols), lambda a: "Now I can apply the change.")


_COMPILERS: dict[type, Callable[[CategorySpec, object], OpImpl]] = {
    Search: _search, Get: _get, ListBy: _list, Aggregate: _aggregate,
    Quote: _quote, Create: _create, Update: _update,
}


def compile_op(cat: CategorySpec, op: object) -> OpImpl:
    return _COMPILERS[type(op)](cat, op)
