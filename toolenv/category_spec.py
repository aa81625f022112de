"""A category spec: the tables and tools of one ToolBench-style category, checked when built.

It sits above ``spec`` (its parts) and ``spec_check`` (the rules over those parts), so a typo
in a category file fails at import time with a message naming the spot.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, model_validator

from toolenv.spec import TableSpec, ToolSpec
from toolenv.spec_check import check_category

__all__ = ["CategorySpec"]


class CategorySpec(BaseModel):
    """A ToolBench-style category: ``name`` is the RapidAPI folder name (e.g. ``News_Media``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    tables: tuple[TableSpec, ...]
    tools: tuple[ToolSpec, ...]

    @property
    def slug(self) -> str:
        return self.name.lower()

    def table(self, name: str) -> TableSpec:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"category {self.name!r} has no table {name!r}")

    @model_validator(mode="after")
    def _consistent(self) -> CategorySpec:
        check_category(self.name, self.tables, self.tools)
        return self
