"""Loading ToolBench/StableToolBench query files and tools folders, grouped by category.

Query files are JSON lists of ``{query, query_id, api_list, relevant APIs}`` (a folder of
them, its ``test_instruction/`` subfolder, or one file); every group found is loaded
together (G1 and G2 alike, as the PaST authors did), the group being the file's stem. A
tools folder (``<Category>/<tool>.json``, ToolBench's ``toolenv/tools``) adds every API of
its tools to their categories' API surface. Names are normalised as ToolBench does it.
A query belongs to the category most of its relevant APIs are in; a query none of whose
relevant APIs is in its own api_list cannot be graded and is skipped (with a warning).
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from toolenv.naming import change_name, function_name, standardize
from toolenv.toolbench.records import CategoryData, ToolBenchApi, ToolBenchParam, ToolBenchQuery
from toolenv.toolbench.template import parse_template

__all__ = ["ToolBenchData", "load_toolbench", "query_files", "category_slug", "standard_category"]


def category_slug(name: str) -> str:
    """'Video_Images' -> 'video_images', 'News Media' -> 'news_media'."""
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


def standard_category(name: str) -> str:
    """A category as StableToolBench's server spells its folder: spaces, commas and slashes -> '_'."""
    out = re.sub(r"[ ,/]", "_", name.strip())
    return re.sub(r"__+", "_", out)


def query_files(data: Path, groups: tuple[str, ...] | None = None) -> list[Path]:
    """The query files under ``data`` (a file, a folder, or a folder with ``test_instruction/``)."""
    if data.is_file():
        files = [data]
    elif data.is_dir():
        folder = data / "test_instruction" if (data / "test_instruction").is_dir() else data
        files = sorted(folder.glob("*.json"))
    else:
        raise ValueError(f"no ToolBench data at {data}")
    if groups is not None:
        files = [f for f in files if f.stem in groups]
    if not files:
        raise ValueError(f"no query files (*.json) under {data}" + (f" for groups {list(groups)}" if groups else ""))
    return files


def _params(entry: dict[str, Any]) -> tuple[ToolBenchParam, ...]:
    out: dict[str, ToolBenchParam] = {}
    for required, key in ((True, "required_parameters"), (False, "optional_parameters")):
        for p in entry.get(key) or []:
            raw = str(p.get("name", ""))
            name = change_name(standardize(raw)) or raw
            if name and name not in out:  # ToolBench docs repeat a parameter now and then: first wins
                out[name] = ToolBenchParam(name=name, raw_name=raw, type=str(p.get("type") or "STRING"),
                                           description=str(p.get("description") or ""),
                                           default=p.get("default", ""), required=required)
    return tuple(out.values())


def _api(entry: dict[str, Any], category: str, tool_name: str, tool: str, tool_description: str) -> ToolBenchApi:
    api_name = str(entry.get("api_name", entry.get("name", "")))
    return ToolBenchApi(
        category=category, tool_name=tool_name, tool=tool, tool_description=tool_description,
        api_name=api_name, api=change_name(standardize(api_name)), function_name=function_name(api_name, tool),
        description=str(entry.get("api_description", entry.get("description")) or ""),
        method=str(entry.get("method") or "GET"), params=_params(entry),
        template=parse_template(entry.get("template_response")),
    )


def _read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _tools(tools_dir: Path) -> tuple[dict[str, list[ToolBenchApi]], dict[str, tuple[str, str]]]:
    """APIs per category from a tools folder, and standardize(tool_name) -> (file stem, description)."""
    apis: dict[str, list[ToolBenchApi]] = {}
    tools: dict[str, tuple[str, str]] = {}
    for folder in sorted(p for p in tools_dir.iterdir() if p.is_dir()):
        category = standard_category(folder.name)
        for path in sorted(folder.glob("*.json")):
            js = _read_json(path)
            if not isinstance(js, dict) or not isinstance(js.get("api_list"), list):
                continue
            tool_name = str(js.get("tool_name") or path.stem)
            tool = str(js.get("standardized_name") or path.stem)
            description = str(js.get("tool_description") or "")
            tools[standardize(tool_name)] = (tool, description)
            apis.setdefault(category, []).extend(_api(e, category, tool_name, tool, description)
                                                 for e in js["api_list"] if isinstance(e, dict))
    return apis, tools


def _query(record: dict[str, Any], group: str, tools: dict[str, tuple[str, str]]) -> ToolBenchQuery | None:
    apis = []
    for e in record.get("api_list") or []:
        tool_name = str(e.get("tool_name", ""))
        tool, description = tools.get(standardize(tool_name), (standardize(tool_name), ""))
        apis.append(_api(e, standard_category(str(e.get("category_name", ""))), tool_name, tool, description))
    relevant: list[ToolBenchApi] = []
    for pair in record.get("relevant APIs") or []:
        t, a = (str(x) for x in pair[:2])
        hit = next((x for x in apis if x.tool_name == t and x.api_name == a), None) or next(
            (x for x in apis if x.tool == standardize(t) and x.api == change_name(standardize(a))), None)
        if hit is None:
            warnings.warn(f"{group}/{record.get('query_id')}: relevant API {t!r}/{a!r} is not in its api_list",
                          stacklevel=3)
        elif hit not in relevant:
            relevant.append(hit)
    if not relevant:
        return None
    category = Counter(x.category for x in relevant).most_common(1)[0][0]
    names = tuple(dict.fromkeys(x.function_name for x in relevant))
    qid = str(record.get("query_id"))
    return ToolBenchQuery(key=f"{group}/{qid}", group=group, query_id=qid, query=str(record.get("query", "")),
                          category=category, apis=tuple(apis), relevant=names)


class ToolBenchData:
    """Every loaded query and API, indexed by category name, slug and query key."""

    def __init__(self, queries: list[ToolBenchQuery], extra_apis: dict[str, list[ToolBenchApi]]) -> None:
        self.queries = {q.key: q for q in queries}
        per_category: dict[str, dict[str, ToolBenchApi]] = {}
        for q in queries:
            for api in q.apis:
                per_category.setdefault(api.category, {}).setdefault(api.function_name, api)
        for category, apis in extra_apis.items():
            if category in per_category:  # only categories that have queries
                for api in apis:
                    per_category[category].setdefault(api.function_name, api)
        self.categories: dict[str, CategoryData] = {}
        self.by_slug: dict[str, str] = {}
        for name in sorted(per_category, key=category_slug):
            qs = tuple(q for q in queries if q.category == name)
            if not qs:
                continue
            slug = category_slug(name)
            if slug in self.by_slug:
                raise ValueError(f"categories {self.by_slug[slug]!r} and {name!r} share the slug {slug!r}")
            self.by_slug[slug] = name
            self.categories[name] = CategoryData(name=name, slug=slug, apis=tuple(per_category[name].values()),
                                                 queries=qs)

    def category(self, name: str) -> CategoryData:
        """A category by ToolBench name or slug, case-insensitive; ``ValueError`` if unknown."""
        key = category_slug(str(name))
        if key not in self.by_slug:
            raise ValueError(f"unknown category {name!r}; valid categories: {', '.join(sorted(self.by_slug))}")
        return self.categories[self.by_slug[key]]


@cache
def load_toolbench(data: str, tools_dir: str | None = None, groups: tuple[str, ...] | None = None) -> ToolBenchData:
    """Load (once per process) the queries under ``data`` and, optionally, a tools folder."""
    extra, tools = _tools(Path(tools_dir)) if tools_dir else ({}, {})
    queries: dict[str, ToolBenchQuery] = {}
    for path in query_files(Path(data), groups):
        records = _read_json(path)
        if not isinstance(records, list):
            raise ValueError(f"{path} is not a ToolBench query file (expected a JSON list of queries)")
        for record in records:
            if not isinstance(record, dict) or "query" not in record or "api_list" not in record:
                raise ValueError(f"{path}: every record needs 'query', 'query_id', 'api_list' and 'relevant APIs'")
            q = _query(record, path.stem, tools)
            if q is not None:
                queries.setdefault(q.key, q)
    return ToolBenchData(list(queries.values()), extra)
