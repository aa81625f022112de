"""Records of the real ToolBench data: parameters, APIs, queries and categories.

They keep both spellings of every name: ToolBench's documented one (``tool_name``,
``api_name``, a parameter's ``raw_name``) and the normalised one a model must emit
(``tool``, ``api``, ``function_name``, a parameter's ``name``), so calls map back to files.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from toolenv.docs import ApiDoc, ParamDoc

__all__ = ["ToolBenchParam", "ToolBenchApi", "ToolBenchQuery", "CategoryData"]

_FROZEN = ConfigDict(frozen=True)


class ToolBenchParam(BaseModel):
    model_config = _FROZEN

    name: str = Field(description="ToolBench's normalised name, the one a call must use ('id' -> 'is_id').")
    raw_name: str = Field(description="The name as documented; accepted as an alias.")
    type: str = Field(description="ToolBench type: STRING, NUMBER, BOOLEAN, ENUM, DATE (YYYY-MM-DD), ...")
    description: str
    default: Any = Field(description="ToolBench's example value ('' when none).")
    required: bool


class ToolBenchApi(BaseModel):
    """One RapidAPI endpoint as ToolBench documents it."""

    model_config = _FROZEN

    category: str = Field(description="ToolBench's category folder, e.g. 'Finance'.")
    tool_name: str = Field(description="The tool's documented name.")
    tool: str = Field(description="Standardised tool name (the tools-folder file stem).")
    tool_description: str = ""
    api_name: str = Field(description="The API's documented name.")
    api: str = Field(description="Standardised API name, as StableToolBench's server receives it.")
    function_name: str = Field(description="{api}_for_{tool}, last 64 characters.")
    description: str
    method: str
    params: tuple[ToolBenchParam, ...]
    template: Any = Field(None, description="Parsed template_response (dict or list), None when absent.")

    def doc(self) -> ApiDoc:
        """The ``ApiDoc`` of this API, with the parameter names a call must use."""
        params = {True: [], False: []}
        for p in self.params:
            params[p.required].append(ParamDoc(name=p.name, type=p.type, description=p.description, default=p.default))
        return ApiDoc(category_name=self.category, tool_name=self.tool_name, api_name=self.api_name,
                      api_description=self.description, required_parameters=params[True],
                      optional_parameters=params[False], method=self.method,
                      template_response=self.template if isinstance(self.template, dict) else {},
                      function_name=self.function_name)


class ToolBenchQuery(BaseModel):
    """One query with the APIs it was written for."""

    model_config = _FROZEN

    key: str = Field(description="'{group}/{query_id}', unique across the files loaded.")
    group: str = Field(description="The query file's stem, e.g. 'G1_instruction'.")
    query_id: str
    query: str
    category: str = Field(description="The category most of its relevant APIs belong to.")
    apis: tuple[ToolBenchApi, ...] = Field(description="Its api_list: what ToolBench offers the agent.")
    relevant: tuple[str, ...] = Field(description="Function names of its 'relevant APIs', distinct, in order.")


class CategoryData(BaseModel):
    """A category's APIs (unique function names, first documented wins) and queries."""

    model_config = _FROZEN

    name: str
    slug: str
    apis: tuple[ToolBenchApi, ...]
    queries: tuple[ToolBenchQuery, ...]
