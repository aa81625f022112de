"""Consistency rules over a category's tables and tools, run when a ``CategorySpec`` is built.

A typo in a category file (a missing field, a sort on a text column, a phrase without its
slot) would otherwise surface as a confusing failure deep inside task generation.
"""

from __future__ import annotations

import string

from toolenv.naming import function_name
from toolenv.spec import (
    NUMERIC,
    ORDERED,
    Aggregate,
    Create,
    Get,
    ListBy,
    Quote,
    Search,
    TableSpec,
    ToolSpec,
    Update,
)

__all__ = ["check_category", "table_order", "SpecError"]

_TOOLS = (2, 5)
_APIS = (2, 5)


class SpecError(ValueError):
    """A category spec contradicts itself."""


def _require(ok: bool, where: str, message: str) -> None:
    if not ok:
        raise SpecError(f"{where}: {message}")


def _slots(phrase: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}


def _check_table(t: TableSpec, tables: dict[str, TableSpec]) -> None:
    seen = {t.key, t.name_field}
    for f in t.fields:
        where = f"table {t.name}.{f.name}"
        _require(f.name not in seen, where, "duplicate or reserved field name")
        seen.add(f.name)
        if f.kind in NUMERIC or f.kind in ("date", "time"):
            _require(f.low is not None and f.high is not None and f.low < f.high, where, "needs low < high")
        if f.kind == "enum":
            _require(len(f.choices) >= 2, where, "enum needs at least two choices")
        if f.kind == "ref":
            _require(f.ref in tables and f.ref != t.name, where, f"unknown ref table {f.ref!r}")
        if f.kind in ("code", "text"):
            _require(bool(f.template), where, "needs a template")
        if f.phrase is not None:
            _require(f.phrase.count("{}") == 1, where, "phrase needs exactly one {} slot")


def _check_op(tables: dict[str, TableSpec], where: str, op: object) -> None:
    t = tables[op.table]
    names = {f.name for f in t.fields}
    if isinstance(op, Search):
        _require(t.names is not None, where, "search needs a named table")
        _require(set(op.extra) <= names, where, "unknown extra field")
    elif isinstance(op, Get):
        _require(set(op.fields) <= names, where, "unknown field")
    elif isinstance(op, (ListBy, Aggregate)):
        _require(t.field(op.by).kind in ("enum", "ref"), where, "'by' must be an enum or ref field")
        if isinstance(op, ListBy):
            _require(t.field(op.order).kind in ORDERED, where, "'order' must be numeric, date or time")
            _require(set(op.fields) <= names, where, "unknown field")
        else:
            _require(t.field(op.metric).kind in NUMERIC, where, "'metric' must be numeric")
    elif isinstance(op, Quote):
        _require(t.field(op.price).kind in NUMERIC, where, "'price' must be numeric")
        _require(_slots(op.phrase) == {"quantity", "target"}, where, "phrase needs {quantity} and {target}")
    elif isinstance(op, Create):
        _check_create(tables, where, op, t)
    elif isinstance(op, Update):
        f = t.field(op.field)
        _require(f.kind not in ("ref", "code"), where, "cannot update ids or codes")
        _require(op.value is None or op.value in f.choices, where, "fixed value must be an enum choice")
        want = {"target"} if op.value is not None else {"target", "value"}
        _require(_slots(op.phrase) == want, where, f"phrase needs slots {sorted(want)}")


def _check_create(tables: dict[str, TableSpec], where: str, op: Create, t: TableSpec) -> None:
    _require(t.names is None, where, "created records are unnamed")
    covered = set(op.sets) | set(op.defaults) | {op.via} | ({op.cost[1]} if op.cost else set())
    missing = sorted({f.name for f in t.fields} - covered)
    _require(not missing, where, f"fields {missing} of created records would be unset")
    parent = None
    if op.via is not None:
        via = t.field(op.via)
        _require(via.kind == "ref", where, "'via' must be a ref field")
        parent = tables[via.ref]
    for name in op.sets:
        _require(t.field(name).kind not in ("ref", "code"), where, f"cannot set {name!r} from an argument")
    if op.quantity is not None:
        _require(op.quantity in op.sets and t.field(op.quantity).kind == "int", where, "quantity must be a set int")
    if op.cost is not None or op.decrement is not None:
        _require(parent is not None, where, "cost/decrement need a parent ('via')")
    if op.cost is not None:
        _require(parent.field(op.cost[0]).kind in NUMERIC, where, "cost price must be numeric")
        _require(t.field(op.cost[1]).kind == "float", where, "cost target must be a float field")
    if op.decrement is not None:
        _require(parent.field(op.decrement).kind == "int", where, "decrement needs an int parent field")
    for name, value in op.defaults.items():
        f = t.field(name)
        _require(f.kind != "enum" or value in f.choices, where, f"default {value!r} not a choice")
    want = set(op.sets) | ({"target"} if parent is not None else set())
    _require(_slots(op.phrase) == want, where, f"phrase needs slots {sorted(want)}")


def table_order(category: str, tables: tuple[TableSpec, ...]) -> list[TableSpec]:
    """Tables with every foreign-key target before its referrers (generation order)."""
    deps = {t.name: {f.ref for f in t.fields if f.kind == "ref"} for t in tables}
    done: list[str] = []
    while len(done) < len(deps):
        ready = [n for n, d in deps.items() if n not in done and d <= set(done)]
        _require(bool(ready), category, "foreign keys form a cycle")
        done.extend(ready)
    by_name = {t.name: t for t in tables}
    return [by_name[n] for n in done]


def check_category(name: str, tables: tuple[TableSpec, ...], tools: tuple[ToolSpec, ...]) -> None:
    """Raise ``SpecError`` on the first inconsistency of category ``name``."""
    by_name = {t.name: t for t in tables}
    _require(len(by_name) == len(tables), name, "duplicate table names")
    _require(len({t.prefix for t in tables}) == len(by_name), name, "duplicate id prefixes")
    _require(len({t.key for t in tables}) == len(by_name), name, "duplicate entity keys")
    for t in tables:
        _check_table(t, by_name)
    table_order(name, tables)
    _require(_TOOLS[0] <= len(tools) <= _TOOLS[1], name, f"needs {_TOOLS} tools")
    for tl in tools:
        _require(_APIS[0] <= len(tl.apis) <= _APIS[1], f"{name}/{tl.name}", f"needs {_APIS} APIs")
        for a in tl.apis:
            where = f"{name}/{tl.name}/{a.name}"
            _require(a.op.table in by_name, where, f"unknown table {a.op.table!r}")
            _check_op(by_name, where, a.op)
    names = [function_name(a.name, tl.name) for tl in tools for a in tl.apis]
    _require(len(set(names)) == len(names), name, "duplicate function names")
