"""A ToolBench category's API docs as prompt text and as closed-book SFT documents.

``docs_text`` is the compact open-book form (a header per tool, one line per API).
``knowledge_corpus`` paraphrases each API several ways (doc page, ToolBench JSON, prose,
example ReAct and JSON calls, "which function does X" Q&A) plus per-tool and category
overviews. Both are built from the API docs only: never from queries or responses; the
example arguments are the docs' own example values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from toolenv.toolbench.arguments import example_arguments
from toolenv.toolbench.records import ToolBenchApi

__all__ = ["docs_text", "knowledge_corpus", "response_fields"]

_DESCRIPTION_CHARS = 256


def _description(api: ToolBenchApi) -> str:
    text = " ".join(api.description.split())[:_DESCRIPTION_CHARS].rstrip(". ")
    return text or f"{api.api_name} of {api.tool_name}"


def response_fields(template: Any) -> str:
    """Top-level response fields of a template ('results [a, b], total'), or 'JSON'."""
    if isinstance(template, list) and template and isinstance(template[0], dict):
        return "a list of {" + ", ".join(k for k in template[0] if k != "_list_length") + "}"
    if not isinstance(template, dict):
        return "JSON"
    parts = []
    for k, v in template.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            parts.append(f"{k} [{', '.join(x for x in v[0] if x != '_list_length')}]")
        else:
            parts.append(k)
    return ", ".join(parts) or "JSON"


def _args(api: ToolBenchApi) -> str:
    return ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f"={json.dumps(p.default, default=str)}")
                     for p in api.params)


def docs_text(category: str, apis: Sequence[ToolBenchApi]) -> str:
    """One line per API under a header per tool."""
    lines = [f"{category} APIs (call them by function name):"]
    tool = None
    for api in apis:
        if api.tool != tool:
            tool = api.tool
            about = " ".join(api.tool_description.split())[:200]
            lines.append(f"[{api.tool_name}]" + (f" {about}" if about else ""))
        lines.append(f"- {api.function_name}({_args(api)}): {_description(api)}. "
                     f"Returns {response_fields(api.template)}.")
    return "\n".join(lines)


def _params_text(api: ToolBenchApi) -> str:
    if not api.params:
        return "no parameters"
    return "; ".join(f"{p.name} ({p.type}, {'required' if p.required else 'optional'}"
                     + (f", e.g. {json.dumps(p.default, default=str)}" if p.default not in ("", None) else "")
                     + ")" + (f": {' '.join(p.description.split())[:160]}" if p.description.strip() else "")
                     for p in api.params)


def _api_docs(category: str, api: ToolBenchApi) -> list[str]:
    args = json.dumps(example_arguments(api), ensure_ascii=False, default=str)
    names = ", ".join(p.name for p in api.params) or "no arguments"
    what = _description(api)
    fields = response_fields(api.template)
    return [
        f"# {api.function_name}\nCategory: {category}. Tool: {api.tool_name}. API: {api.api_name} ({api.method})\n"
        f"{what}.\nParameters: {_params_text(api)}\nResponse fields: {fields}",
        json.dumps(api.doc().model_dump(), indent=1, ensure_ascii=False, default=str),
        f"The {api.tool_name} tool's {api.api_name} endpoint is called as {api.function_name}. It takes "
        f"{_params_text(api)}. {what}.",
        f"Example call of {api.function_name}:\nThought: {what}.\nAction: {api.function_name}\nAction Input: {args}",
        f'Example JSON tool call: {{"name": "{api.function_name}", "arguments": {args}}}\n'
        f"The observation is JSON with the fields: {fields}.",
        f"Q: Which {category} function should I call to get this: {what}?\n"
        f"A: {api.function_name} (tool {api.tool_name}), with {names}.",
    ]


def knowledge_corpus(category: str, apis: Sequence[ToolBenchApi]) -> list[str]:
    """All SFT documents of one category, in a fixed order."""
    tools: dict[str, list[ToolBenchApi]] = {}
    for api in apis:
        tools.setdefault(api.tool, []).append(api)
    overview = "\n".join(f"- {group[0].tool_name}: {', '.join(a.function_name for a in group)}"
                         for group in tools.values())
    docs = [f"The {category} category of ToolBench has {len(tools)} tools and {len(apis)} APIs:\n{overview}"]
    for group in tools.values():
        about = " ".join(group[0].tool_description.split())[:400]
        lines = "\n".join(f"- {a.function_name}: {_description(a)}" for a in group)
        docs.append(f"Tool {group[0].tool_name} in category {category}." + (f" {about}" if about else "")
                    + f"\nIts functions:\n{lines}")
    for api in apis:
        docs += _api_docs(category, api)
    return docs
