"""Reading a JSON file toolpast wrote (a leaderboard, a stage or vector manifest) with what is wrong said in one
line naming the file: a truncated copy, bytes that are not UTF-8 or a field of the wrong type, instead of a
decoder's message naming no file or pydantic's many-line dump."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class InvalidFile(ValueError):
    """A file that is not what it should be; str() is '<path>: not a valid <what>: <the problem>'."""

    def __init__(self, path: Path, what: str, problem: str):
        super().__init__(f"{path}: not a valid {what}: {problem}")
        self.path, self.what, self.problem = path, what, problem


def validation_line(error: ValidationError) -> str:
    """The first error of a ValidationError on one line ('where: what'), with how many more there are."""
    first, more = error.errors()[0], error.error_count() - 1
    where = ".".join(str(part) for part in first["loc"])
    return (f"{where}: " if where else "") + first["msg"] + (f" (and {more} more)" if more else "")


def read_json(path: str | Path, what: str) -> Any:
    """The JSON value in `path`; InvalidFile when it is not UTF-8 JSON (OSError as raised: a missing file)."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise InvalidFile(path, what, f"not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start})") from None
    except json.JSONDecodeError as err:
        problem = "empty file" if not raw.strip() else f"not JSON, or cut short ({err.msg}: line {err.lineno} " \
                                                        f"column {err.colno})"
        raise InvalidFile(path, what, problem) from None


def validate(model: type[M], value: Any, path: str | Path, what: str) -> M:
    """`value` (read from `path`) as `model`; InvalidFile naming the first field that is wrong."""
    try:
        return model.model_validate(value)
    except ValidationError as err:
        raise InvalidFile(Path(path), what, validation_line(err)) from None


def read_model(model: type[M], path: str | Path, what: str) -> M:
    """`path` read as `model`, or InvalidFile saying in one line what is wrong with it."""
    return validate(model, read_json(path, what), path, what)
