"""API calls answered in the configured mode, and the callable functions episodes use.

``Simulator.respond`` turns a validated call into a response value (or ``ApiError``, which
episodes show as an error observation): ``mock`` fills the template from a hash of the call,
``replay`` reads a response cache (a miss is an error, or a mock with ``on_miss="mock"``),
``llm`` reads the cache and asks the endpoint on a miss, caching its answer.
``ApiFunction`` gives one API the ``bind``/``run``/``thought`` interface of native functions.
"""

from __future__ import annotations

from typing import Any

from toolenv.ops import ApiError
from toolenv.toolbench.arguments import bind_arguments, signature
from toolenv.toolbench.cache import ResponseCache, cache_key
from toolenv.toolbench.chat import ChatEndpoint, EndpointError
from toolenv.toolbench.llm import simulate_with_llm
from toolenv.toolbench.mock import mock_response
from toolenv.toolbench.options import SuiteOptions
from toolenv.toolbench.records import ToolBenchApi

__all__ = ["Simulator", "ApiFunction"]


class Simulator:
    """Deterministic responses for one set of suite options (safe to share between threads)."""

    def __init__(self, options: SuiteOptions) -> None:
        self.options = options
        self.cache = ResponseCache(options.cache_dir, writable=options.mode == "llm") if options.cache_dir else None
        self.endpoint = (ChatEndpoint(options.endpoint, options.model, options.api_key_env)
                         if options.mode == "llm" and options.endpoint else None)

    def respond(self, api: ToolBenchApi, arguments: dict[str, Any], seed: int = 0) -> Any:
        """The response to canonical ``arguments`` (from ``bind_arguments``); ``ApiError`` on failure."""
        mode = self.options.mode
        if mode == "mock":
            return mock_response(api, arguments, seed)
        if self.cache is None:
            raise ApiError(f"{mode} mode needs a response cache folder (cache_dir).")
        if mode == "replay":
            entry = self.cache.get(api, arguments)
            if entry is None:
                if self.options.on_miss == "mock":
                    return mock_response(api, arguments, seed)
                raise ApiError(f"No cached response for {api.function_name} with arguments "
                               f"{cache_key(arguments)[:200]} (replay mode).")
        else:
            try:
                entry = simulate_with_llm(api, arguments, self.cache, self.endpoint)
            except EndpointError as e:
                raise ApiError(str(e)) from None
        if entry["error"]:
            raise ApiError(str(entry["error"])[:500])
        return entry["response"]


class ApiFunction:
    """One API bound to a simulator and a seed, shaped like ``toolenv.functions.Function``."""

    __slots__ = ("name", "api", "signature", "_simulator", "_seed")

    def __init__(self, api: ToolBenchApi, simulator: Simulator, seed: int) -> None:
        self.name = api.function_name
        self.api = api
        self.signature = signature(api)
        self._simulator = simulator
        self._seed = seed

    def bind(self, arguments: object) -> dict[str, Any]:
        return bind_arguments(self.api, arguments)

    def run(self, state: object, args: dict[str, Any]) -> Any:
        return self._simulator.respond(self.api, args, self._seed)

    def thought(self, args: dict[str, Any]) -> str:
        what = " ".join(self.api.description.split())[:160].rstrip(".") or self.api.api_name
        return f"I will call {self.api.api_name} of {self.api.tool_name} ({what})."
