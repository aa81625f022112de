"""`--set a.b=value` overrides on typed configs, validated by pydantic; the command-line options that feed them
(a preset, flags that are --set written short) and help text generated from fields, for every command alike."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pydantic import BaseModel, ValidationError


NON_FINITE = ("nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity")  # what float() reads, JSON not


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        if raw.strip().lower() in NON_FINITE:  # `--lam nan`: refused as not finite, not as not a number
            return float(raw)
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
    try:  # strict all the way down, also in configs that are not ours (toolenv's RewardWeights): true is no 1
        return type(config).model_validate(data, strict=True)
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


def settings_epilog(model: type[BaseModel]) -> str:
    """The --help epilog of a command configured by `model`: every settable path, its default and meaning."""
    rows = "\n".join(f"  {path:<34} {default:<14} {desc}" for path, default, desc in describe_fields(model))
    return f"settings for --set (path, default, meaning):\n{rows}"


def add_config_options(parser: argparse.ArgumentParser, model: type[BaseModel], presets: list[str],
                       preset_help: str) -> None:
    """The options of every command whose config is a preset plus overrides: --preset, --model and --seed (their
    help is the config field's), and the repeatable --set."""
    fields = model.model_fields
    parser.add_argument("--preset", default="cpu", choices=presets, help=f"Starting config: {preset_help}")
    parser.add_argument("--model", help=f"{fields['model'].description} Overrides the preset's model.")
    parser.add_argument("--seed", type=int, help=fields["seed"].description)
    parser.add_argument("--set", action="append", metavar="PATH=VALUE",
                        help="Override any config field (repeatable), e.g. --set seed=3; all fields below.")


def flag_sets(args: argparse.Namespace, paths: dict[str, str], as_json: tuple[str, ...] = ()) -> list[str]:
    """The flags given on the command line as `path=value` assignments (flag -> dotted config path): a flag is a
    --set written short, so both get apply_overrides' validation and error messages. `as_json`: list flags."""
    sets = []
    for flag, path in paths.items():
        value = getattr(args, flag, None)
        if value is not None:
            sets.append(f"{path}={json.dumps(value) if flag in as_json or isinstance(value, bool) else value}")
    return sets
