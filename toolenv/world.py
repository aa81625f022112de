"""The seeded in-memory world of one category split, and per-episode copies of it.

``build_world`` fills every table of a spec from a seed (names from vocab templates,
numbers, dates, balanced enum/foreign-key columns so every group is non-empty). The base
``World`` is never mutated: each episode gets a ``WorldState`` that shares the base tables
and copies a table only on its first write, so episodes are isolated and cheap to start.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable

from toolenv.category_spec import CategorySpec
from toolenv.seeding import rng as make_rng
from toolenv.spec import FieldSpec, TableSpec
from toolenv.spec_check import table_order
from toolenv.vocab import VOCAB

__all__ = ["Table", "World", "WorldState", "build_world", "draw_value"]

Row = dict[str, object]
_ID_RANGE = range(1000, 10000)


class Table:
    """Rows of one entity table plus lazily built lookup indexes."""

    __slots__ = ("spec", "key", "rows", "by_id", "next_id", "_groups", "_sorted", "_names")

    def __init__(self, spec: TableSpec, rows: list[Row], next_id: int) -> None:
        self.spec = spec
        self.key = spec.key
        self.rows = rows
        self.by_id: dict[str, Row] = {r[self.key]: r for r in rows}
        self.next_id = next_id
        self._groups: dict[str, dict[object, list[Row]]] = {}
        self._sorted: dict[tuple[str, str, str, bool], list[Row]] = {}
        self._names: tuple[dict[str, Row], list[tuple[str, Row]]] | None = None

    def copy(self) -> Table:
        return Table(self.spec, [dict(r) for r in self.rows], self.next_id)

    def invalidate(self) -> None:
        self._groups.clear()
        self._sorted.clear()
        self._names = None

    def group(self, field: str) -> dict[object, list[Row]]:
        g = self._groups.get(field)
        if g is None:
            g = {}
            for r in self.rows:
                g.setdefault(r[field], []).append(r)
            self._groups[field] = g
        return g

    def sorted_group(self, by: str, value: object, order: str, descending: bool) -> list[Row]:
        """Rows with ``by == value`` sorted by ``order`` (ties broken by id)."""
        k = (by, str(value), order, descending)
        out = self._sorted.get(k)
        if out is None:
            rows = sorted(self.group(by).get(value, ()), key=lambda r: r[self.key])
            out = sorted(rows, key=lambda r: r[order], reverse=descending)
            self._sorted[k] = out
        return out

    def names(self) -> tuple[dict[str, Row], list[tuple[str, Row]]]:
        """(exact lowercase name -> row, [(lowercase name, row)]) for search."""
        if self._names is None:
            nf = self.spec.name_field
            pairs = [(str(r[nf]).lower(), r) for r in self.rows]
            self._names = ({n: r for n, r in pairs}, pairs)
        return self._names

    def insert(self, row: Row) -> None:
        self.rows.append(row)
        self.by_id[row[self.key]] = row
        self.next_id += 1
        self.invalidate()


class World:
    """The immutable base world one split's tasks are generated from and run against."""

    __slots__ = ("spec", "seed", "tables")

    def __init__(self, spec: CategorySpec, seed: int, tables: dict[str, Table]) -> None:
        self.spec = spec
        self.seed = seed
        self.tables = tables

    def state(self) -> WorldState:
        return WorldState(self.tables)


class WorldState:
    """A copy-on-write view of a ``World`` owned by one episode."""

    __slots__ = ("tables", "owned")

    def __init__(self, base: dict[str, Table]) -> None:
        self.tables = dict(base)
        self.owned: set[str] = set()

    def writable(self, name: str) -> Table:
        """The episode's own copy of a table; the caller is about to mutate it."""
        if name in self.owned:
            t = self.tables[name]
            t.invalidate()
            return t
        t = self.tables[name] = self.tables[name].copy()
        self.owned.add(name)
        return t

    def same_as(self, other: WorldState) -> bool:
        """Equal contents in every table either side has written to."""
        return all(self.tables[n].rows == other.tables[n].rows for n in self.owned | other.owned)

    def dump(self) -> dict[str, list[Row]]:
        """Tables this episode changed, for debugging and trajectory inspection."""
        return {n: [dict(r) for r in self.tables[n].rows] for n in sorted(self.owned)}


def _fill(template: str, vocab: dict[str, tuple[str, ...]], rnd: random.Random) -> str:
    if "{" not in template:
        return "".join(
            rnd.choice(string.ascii_uppercase) if c == "L" else str(rnd.randrange(10)) if c == "#" else c
            for c in template
        )
    parts = []
    for literal, slot, _, _ in string.Formatter().parse(template):
        parts.append(literal)
        if slot:
            parts.append(rnd.choice(vocab.get(slot) or VOCAB[slot]))
    return "".join(parts)


def _unique(n: int, make: Callable[[], str], where: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for _ in range(n * 50):
        v = make()
        if v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
            if len(out) == n:
                return out
    raise ValueError(f"{where}: cannot draw {n} unique values; enlarge its vocabulary")


def _balanced(values: list[object], n: int, rnd: random.Random) -> list[object]:
    """Every value at least once (when n allows), the rest random, in shuffled order."""
    col = list(values[:n]) + [rnd.choice(values) for _ in range(n - min(n, len(values)))]
    rnd.shuffle(col)
    return col


def draw_value(f: FieldSpec, vocab: dict[str, tuple[str, ...]], rnd: random.Random) -> object:
    """One random value of a non-key column (also used for task arguments)."""
    if f.kind == "int":
        return rnd.randint(int(f.low), int(f.high))
    if f.kind == "float":
        return round(rnd.uniform(f.low, f.high), f.decimals)
    if f.kind == "date":
        start, end = dt.date.fromisoformat(f.low), dt.date.fromisoformat(f.high)
        return (start + dt.timedelta(days=rnd.randint(0, (end - start).days))).isoformat()
    if f.kind == "time":
        lo, hi = (int(x[:2]) * 60 + int(x[3:]) for x in (f.low, f.high))
        m = rnd.choice(range(lo, hi + 1, 15))
        return f"{m // 60:02d}:{m % 60:02d}"
    if f.kind == "enum":
        return rnd.choice(f.choices)
    if f.kind in ("code", "text"):
        return _fill(f.template, vocab, rnd)
    raise ValueError(f"cannot draw a free value for {f.kind} field {f.name!r}")


def _column(f: FieldSpec, t: TableSpec, n: int, tables: dict[str, Table], rnd: random.Random) -> list[object]:
    if f.kind == "enum":
        return _balanced(list(f.choices), n, rnd)
    if f.kind == "ref":
        parent = [r[tables[f.ref].key] for r in tables[f.ref].rows]
        return _balanced(rnd.sample(parent, len(parent)), n, rnd)
    if f.kind == "code":
        return _unique(n, lambda: _fill(f.template, t.vocab, rnd), f"{t.name}.{f.name}")
    return [draw_value(f, t.vocab, rnd) for _ in range(n)]


def _build_table(t: TableSpec, seed: int, tables: dict[str, Table]) -> Table:
    rnd = make_rng(seed, "table", t.name)
    n = t.rows
    ids = sorted(rnd.sample(_ID_RANGE, n))
    columns: dict[str, list[object]] = {t.key: [f"{t.prefix}-{i}" for i in ids]}
    if t.names is not None:
        columns[t.name_field] = _unique(n, lambda: _fill(t.names, t.vocab, rnd), t.name)
    for f in t.fields:
        columns[f.name] = _column(f, t, n, tables, rnd)
    rows = [{k: col[i] for k, col in columns.items()} for i in range(n)]
    return Table(t, rows, next_id=ids[-1] + 1)


def build_world(spec: CategorySpec, seed: int) -> World:
    """Deterministically populate every table of ``spec`` (parents before children)."""
    tables: dict[str, Table] = {}
    for t in table_order(spec.name, spec.tables):
        tables[t.name] = _build_table(t, seed, tables)
    return World(spec, seed, {t.name: tables[t.name] for t in spec.tables})
