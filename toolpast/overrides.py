"""`--set a.b=value` overrides on typed configs, validated by pydantic, and help text generated from fields."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if "," in raw:  # a,b,c -> list of strings
            return [part.strip() for part in raw.split(",") if part.strip()]
        return raw


def apply_overrides(config: BaseModel, assignments: list[str]) -> BaseModel:
    """Return a validated copy of config with each `dotted.path=value` applied (values parsed as JSON if they can).

    An unknown path or a value of the wrong type raises ValueError naming the path and the valid fields.
    """
    data = config.model_dump()
    for assignment in assignments:
        if "=" not in assignment:
            raise ValueError(f"--set expects path=value, got {assignment!r}")
        path, raw = assignment.split("=", 1)
        keys = path.strip().split(".")
        node, model = data, type(config)
        for depth, key in enumerate(keys):
            fields = model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
            if key not in fields:
                where = ".".join(keys[:depth]) or "the run config"
                raise ValueError(f"unknown setting {path!r}: {where} has fields {sorted(fields)}")
            if depth == len(keys) - 1:
                node[key] = _parse_value(raw)
            else:
                node, model = node[key], fields[key].annotation
    try:
        return type(config).model_validate(data)
    except ValidationError as error:
        raise ValueError(f"invalid --set value: {validation_summary(error)}") from None


def validation_summary(error: ValidationError) -> str:
    """A pydantic error on one line: `path: problem (got value)` per problem, without its input dump and link."""
    problems = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "config"
        got = "" if e["type"] == "value_error" else f" (got {e['input']!r})"
        problems.append(f"{where}: {e['msg'].removeprefix('Value error, ')}{got}")
    return "; ".join(problems)


def describe_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, str]]:
    """(dotted path, default, description) for every leaf field, for --help."""
    rows = []
    instance = model()
    for name, field in model.model_fields.items():
        value = getattr(instance, name)
        if isinstance(value, BaseModel):
            rows += describe_fields(type(value), prefix + name + ".")
        else:
            rows.append((prefix + name, json.dumps(value), field.description or ""))
    return rows
