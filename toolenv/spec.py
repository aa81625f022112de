"""Declarative category specs: seeded entity tables and the APIs over them.

A category is data. Its tables have typed fields and foreign keys (possibly across
tools); each API is one generic operation over a table (search, get, list, aggregate,
quote, create, update). ``world.py`` fills the tables from a seed, ``functions.py``
compiles every API into a validated callable and ``recipes.py`` derives tasks, so a new
category needs no code. ``category_spec.CategorySpec`` assembles these parts and checks them
(``spec_check``) when it is built, so inconsistent specs fail at import time.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from toolenv.naming import snake

__all__ = [
    "F", "FieldSpec", "TableSpec", "Search", "Get", "ListBy", "Aggregate", "Quote",
    "Create", "Update", "ApiSpec", "ToolSpec", "api", "tool",
]

FieldKind = Literal["int", "float", "date", "time", "enum", "ref", "code", "text"]
NUMERIC: frozenset[str] = frozenset({"int", "float"})
ORDERED: frozenset[str] = frozenset({"int", "float", "date", "time"})


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FieldSpec(_Frozen):
    """One typed column; ``label`` is the noun phrase queries and docs use for it."""

    name: str
    label: str
    kind: FieldKind
    low: float | str | None = None
    high: float | str | None = None
    decimals: int = 2
    choices: tuple[str, ...] = ()
    ref: str | None = Field(None, description="Target table of a foreign key.")
    template: str | None = Field(None, description="Vocab template (text) or L/# pattern (code).")
    phrase: str | None = Field(None, description="Filter phrase with one {} slot.")


class F:
    """Short constructors for fields, so category files read like schemas."""

    @staticmethod
    def int(name: str, label: str, low: int, high: int) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="int", low=low, high=high)

    @staticmethod
    def float(name: str, label: str, low: float, high: float, decimals: int = 2) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="float", low=low, high=high, decimals=decimals)

    @staticmethod
    def date(name: str, label: str, start: str, end: str) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="date", low=start, high=end)

    @staticmethod
    def time(name: str, label: str, start: str = "08:00", end: str = "22:45") -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="time", low=start, high=end)

    @staticmethod
    def enum(name: str, label: str, choices: str | tuple[str, ...], phrase: str | None = None) -> FieldSpec:
        if isinstance(choices, str):
            choices = tuple(c.strip() for c in choices.split(","))
        return FieldSpec(name=name, label=label, kind="enum", choices=choices, phrase=phrase)

    @staticmethod
    def ref(name: str, label: str, table: str, phrase: str | None = None) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="ref", ref=table, phrase=phrase)

    @staticmethod
    def code(name: str, label: str, pattern: str) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="code", template=pattern)

    @staticmethod
    def text(name: str, label: str, template: str) -> FieldSpec:
        return FieldSpec(name=name, label=label, kind="text", template=template)


class TableSpec(_Frozen):
    """An entity table; rows are keyed ``{entity}_id`` with ids like ``STK-4821``."""

    name: str
    entity: str
    plural: str = ""
    prefix: str
    rows: int = 30
    names: str | None = Field(None, description="Vocab template or L/# pattern; None = unnamed.")
    name_field: str = "name"
    name_label: str = "name"
    fields: tuple[FieldSpec, ...]
    vocab: dict[str, tuple[str, ...]] = {}

    @property
    def key(self) -> str:
        return f"{snake(self.entity)}_id"

    @property
    def entities(self) -> str:
        return self.plural or self.entity + "s"

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name!r} has no field {name!r}")


class _Op(_Frozen):
    table: str

    def __init__(self, table: str, **data: object) -> None:
        super().__init__(table=table, **data)


class Search(_Op):
    """Case-insensitive name search returning ids (the usual first hop)."""

    op: Literal["search"] = "search"
    param: str = "query"
    extra: tuple[str, ...] = ()


class Get(_Op):
    """Fetch one record by id; ``fields`` limits the returned columns (default all)."""

    op: Literal["get"] = "get"
    fields: tuple[str, ...] = ()


class ListBy(_Op):
    """Records whose ``by`` field equals the argument, sorted by ``order``."""

    op: Literal["list"] = "list"
    by: str
    order: str
    descending: bool = True
    superlative: str = Field(description="How the first result reads, e.g. 'highest-rated'.")
    fields: tuple[str, ...] = ()


class Aggregate(_Op):
    """Count/average/min/max of ``metric`` over records whose ``by`` matches."""

    op: Literal["aggregate"] = "aggregate"
    by: str
    metric: str


class Quote(_Op):
    """``price`` field of one record times a quantity argument (fares, calories...)."""

    op: Literal["quote"] = "quote"
    price: str
    quantity: str
    phrase: str = Field(description="Task phrasing with {quantity} and {target} slots.")
    total_label: str = "total cost"


class Create(_Op):
    """Insert a record into ``table`` (bookings, orders); optionally charge and decrement."""

    op: Literal["create"] = "create"
    via: str | None = Field(None, description="Foreign-key field naming the parent record.")
    sets: tuple[str, ...] = ()
    quantity: str | None = None
    cost: tuple[str, str] | None = Field(None, description="(parent price field, new cost field).")
    decrement: str | None = Field(None, description="Parent field reduced by quantity (or 1).")
    defaults: dict[str, str] = {}
    phrase: str = Field(description="Task phrasing with {target} and one slot per set field.")


class Update(_Op):
    """Set one field of a record, to an argument or to a fixed ``value`` (cancel, revoke)."""

    op: Literal["update"] = "update"
    field: str
    value: str | None = None
    phrase: str = Field(description="Task phrasing with {target} (and {value}).")


Op = Annotated[Search | Get | ListBy | Aggregate | Quote | Create | Update, Field(discriminator="op")]


class ApiSpec(_Frozen):
    name: str
    description: str
    op: Op


class ToolSpec(_Frozen):
    name: str
    description: str
    apis: tuple[ApiSpec, ...]


def api(name: str, description: str, op: Op) -> ApiSpec:
    return ApiSpec(name=name, description=description, op=op)


def tool(name: str, description: str, *apis: ApiSpec) -> ToolSpec:
    return ToolSpec(name=name, description=description, apis=apis)
