"""API documentation in ToolBench's JSON schema, and its compact prompt rendering.

``ApiDoc`` mirrors one entry of ToolBench's ``api_list`` (plus the category and the
normalised ``function_name``) so the docs can be dumped next to real ToolBench data.
``docs_text`` is the one-line-per-API form used in open-book system prompts, where every
character competes for a small model's context.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from toolenv.functions import Function

__all__ = ["ParamDoc", "ApiDoc", "api_doc", "docs_text", "reply_fields"]


class ParamDoc(BaseModel):
    name: str
    type: str = Field(description="ToolBench type: STRING, NUMBER, ENUM, DATE (YYYY-MM-DD), ...")
    description: str
    default: Any = ""


class ApiDoc(BaseModel):
    """One API as ToolBench documents it."""

    category_name: str
    tool_name: str
    api_name: str
    api_description: str
    required_parameters: list[ParamDoc]
    optional_parameters: list[ParamDoc]
    method: str
    template_response: dict[str, Any]
    function_name: str = Field(description="What the model must emit: {api_name}_for_{tool_name}.")


def api_doc(category_name: str, fn: Function) -> ApiDoc:
    params = [ParamDoc(name=p.name, type=p.type, description=p.description, default=p.default) for p in fn.params]
    required = [p for p, q in zip(params, fn.params, strict=True) if q.required]
    optional = [p for p, q in zip(params, fn.params, strict=True) if not q.required]
    return ApiDoc(
        category_name=category_name, tool_name=fn.tool.name, api_name=fn.api.name,
        api_description=fn.api.description, required_parameters=required, optional_parameters=optional,
        method=fn.impl.method, template_response=fn.impl.response, function_name=fn.name,
    )


def reply_fields(response: dict[str, Any]) -> str:
    if "results" in response:
        inner = ", ".join(response["results"][0])
        rest = [k for k in response if k != "results"]
        return f"results [{inner}]" + "".join(f", {k}" for k in rest)
    return ", ".join(response)


def docs_text(category_name: str, functions: list[Function]) -> str:
    """Compact docs: a header per tool, one line per API with its signature and reply fields."""
    lines = [f"{category_name} APIs (call them by function name):"]
    tool = None
    for fn in functions:
        if fn.tool.name != tool:
            tool = fn.tool.name
            lines.append(f"[{tool}] {fn.tool.description}")
        args = ", ".join(
            f"{p.name}: {p.type}" + ("" if p.required else f"={json.dumps(p.default)}") for p in fn.params
        )
        enums = "".join(f" {p.name}: {'|'.join(p.choices)}." for p in fn.params if p.choices)
        lines.append(f"- {fn.name}({args}): {fn.api.description}{enums} Returns {reply_fields(fn.impl.response)}.")
    return "\n".join(lines)
