"""StableToolBench's response cache: ``<category>/<tool>/<api>.json``, one entry per arguments.

Each file maps arguments to ``{"error": ..., "response": ...}``. StableToolBench writes
the keys as ``str(dict)`` (a Python repr); here they are read as JSON or, failing that, as
a Python literal, and matched on their canonical JSON, so key order and quoting do not
matter. Besides ``<tool>``, the tool folder may be named ``<tool>_for_<category>`` as
StableToolBench's server names it. Read-only unless ``writable``; writes go through a
lock and an atomic rename, keep the file's existing keys untouched and add canonical JSON keys.
"""

from __future__ import annotations

import ast
import json
import threading
from pathlib import Path
from typing import Any

from toolenv.toolbench.canonical import canonical_json
from toolenv.toolbench.jsonfile import write_json
from toolenv.toolbench.records import ToolBenchApi

__all__ = ["ResponseCache", "cache_key"]


def cache_key(arguments: dict[str, Any]) -> str:
    return canonical_json(arguments)


def _parse_key(key: str) -> str:
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(key)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return canonical_json(value)
    return key


def _entry(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, dict) and "response" in value:
        return {"error": value.get("error") or "", "response": value["response"]}
    return None


class ResponseCache:
    """Cached responses under one root folder."""

    def __init__(self, root: str | Path, writable: bool = False) -> None:
        self.root = Path(root)
        self.writable = writable
        self._lock = threading.Lock()
        self._files: dict[Path, dict[str, dict[str, Any]]] = {}

    def path(self, api: ToolBenchApi) -> Path:
        """The file of ``api``: an existing one in either layout, else ``<category>/<tool>/<api>.json``."""
        folder = self.root / api.category
        for tool_dir in (api.tool, f"{api.tool}_for_{api.category}"):
            candidate = folder / tool_dir / f"{api.api}.json"
            if candidate.is_file():
                return candidate
        return folder / api.tool / f"{api.api}.json"

    @staticmethod
    def _read_raw(path: Path) -> dict[str, Any]:
        try:
            with open(path, encoding="utf-8") as handle:
                raw = json.load(handle)
        except (OSError, ValueError):
            return {}
        return raw if isinstance(raw, dict) else {}

    def _entries(self, path: Path) -> dict[str, dict[str, Any]]:
        with self._lock:
            if path not in self._files:
                entries = {}
                for key, value in self._read_raw(path).items():
                    entry = _entry(value)
                    if entry is not None:
                        entries.setdefault(_parse_key(key), entry)
                self._files[path] = entries
            return self._files[path]

    def get(self, api: ToolBenchApi, arguments: dict[str, Any]) -> dict[str, Any] | None:
        """The cached ``{"error", "response"}`` for these canonical arguments, or None."""
        return self._entries(self.path(api)).get(cache_key(arguments))

    def examples(self, api: ToolBenchApi, n: int = 3) -> list[tuple[str, dict[str, Any]]]:
        """Up to ``n`` cached (arguments, entry) pairs of ``api``, in file order."""
        return list(self._entries(self.path(api)).items())[:n]

    def put(self, api: ToolBenchApi, arguments: dict[str, Any], entry: dict[str, Any]) -> None:
        """Add one entry (re-reading the file first, so concurrent writers lose nothing but races)."""
        if not self.writable:
            raise PermissionError(f"the response cache at {self.root} is read-only")
        path = self.path(api)
        key = cache_key(arguments)
        entries = self._entries(path)
        with self._lock:
            raw = self._read_raw(path)
            raw.setdefault(key, entry)
            write_json(path, raw)
            entries.setdefault(key, entry)
