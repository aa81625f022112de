"""Callable APIs: a spec's APIs compiled to validated functions keyed by ToolBench name.

``Function.bind`` validates raw model arguments strictly (unknown, missing, mistyped ->
``ArgError``); ``Function.run`` executes on a world state. ``closest`` suggests valid names
for an unknown one, so a model that misremembers an API name learns the right one.
"""

from __future__ import annotations

import difflib

from toolenv.category_spec import CategorySpec
from toolenv.naming import function_name
from toolenv.ops import OpImpl, compile_op
from toolenv.params import ArgError, Param
from toolenv.spec import ApiSpec, ToolSpec
from toolenv.world import WorldState

__all__ = ["Function", "compile_functions", "closest"]

_MISSING = object()


class Function:
    """One API of a category, ready to validate and execute calls."""

    __slots__ = ("name", "tool", "api", "category", "params", "impl", "mutates", "_names", "signature")

    def __init__(self, category: str, tool: ToolSpec, api: ApiSpec, impl: OpImpl) -> None:
        self.name = function_name(api.name, tool.name)
        self.category = category
        self.tool = tool
        self.api = api
        self.impl = impl
        self.params: tuple[Param, ...] = impl.params
        self.mutates = impl.mutates
        self._names = frozenset(p.name for p in impl.params)
        args = ", ".join(f"{p.name}: {p.type}" + ("" if p.required else f" = {p.default!r}") for p in self.params)
        self.signature = f"{self.name}({args})"

    def bind(self, arguments: object) -> dict:
        """Canonical arguments (defaults filled in) or ``ArgError``."""
        if type(arguments) is not dict:
            raise ArgError(f"arguments must be a JSON object; expected {self.signature}")
        for k in arguments:
            if k not in self._names:
                raise ArgError(f"unexpected argument {k!r}; expected {self.signature}")
        out = {}
        for p in self.params:
            v = arguments.get(p.name, _MISSING)
            if v is _MISSING:
                if p.required:
                    raise ArgError(f"missing required argument '{p.name}'; expected {self.signature}")
                out[p.name] = p.default
            else:
                try:
                    out[p.name] = p.check(v)
                except ArgError as e:
                    raise ArgError(f"{e}; expected {self.signature}") from None
        return out

    def run(self, state: WorldState, args: dict) -> object:
        return self.impl.run(state, args)

    def thought(self, args: dict) -> str:
        return self.impl.thought(args)


def compile_functions(spec: CategorySpec) -> dict[str, Function]:
    """All of a category's functions, in documentation order."""
    out = {}
    for tl in spec.tools:
        for a in tl.apis:
            fn = Function(spec.slug, tl, a, compile_op(spec, a.op))
            out[fn.name] = fn
    return out


def closest(name: str, names: list[str], n: int = 3) -> list[str]:
    """Valid names nearest to ``name``: same API part first, then by string similarity."""
    name = name.strip().lower()[:100]
    api_part = name.split("_for_")[0]
    same_api = [c for c in names if c.split("_for_")[0] == api_part]
    ranked = difflib.get_close_matches(name, names, n=len(names), cutoff=0.0)
    out: list[str] = []
    for c in same_api + ranked:
        if c not in out:
            out.append(c)
    return out[:n]
