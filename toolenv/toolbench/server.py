"""An HTTP server compatible with StableToolBench's virtual API endpoint (``POST /virtual``).

ToolBench agents send ``{category, tool_name, api_name, tool_input, strip, toolbench_key}``
(``tool_name`` standardised, possibly suffixed ``_for_<category>``; ``tool_input`` a JSON
string or object) and read ``{"error", "response"}``; they run unchanged against this
server, answered by the same validation and simulator as episodes. As in StableToolBench,
arguments that do not parse or validate get status 200 with the reason in ``error``; a
request that is not such an object gets 400, an unknown API 404, each with a clear message.
Bound to 127.0.0.1 unless told otherwise; stdlib only; bodies, JSON depth, timeouts and the listen queue as
``toolenv.http_body`` (shared with ``toolpast serve``).
"""

from __future__ import annotations

from typing import Any

from toolenv.http_body import CLIENT_TIMEOUT_S, BodyRefused, JsonHandler, JsonServer, JsonTooDeep, parse_json, read_body
from toolenv.naming import change_name, standardize
from toolenv.ops import ApiError
from toolenv.params import ArgError
from toolenv.toolbench.arguments import bind_arguments
from toolenv.toolbench.loader import standard_category
from toolenv.toolbench.options import SuiteOptions
from toolenv.toolbench.records import ToolBenchApi
from toolenv.toolbench.suite import ToolBenchSuite, toolbench_suite

__all__ = ["VirtualApi", "VirtualApiServer", "make_server"]

_MAX_BODY = 1 << 20
_FIELDS = ("category", "tool_name", "api_name")


def _reply(error: str, response: Any = "") -> dict[str, Any]:
    return {"error": error, "response": response}


class VirtualApi:
    """The endpoint's logic, free of HTTP: a request body in, (status, JSON reply) out."""

    def __init__(self, suite: ToolBenchSuite, seed: int = 0) -> None:
        self.suite, self.seed = suite, seed
        self.index: dict[tuple[str, str], list[ToolBenchApi]] = {}
        for category in suite.data.categories.values():
            for api in category.apis:
                self.index.setdefault((api.tool, api.api), []).append(api)

    def find(self, category: str, tool_name: str, api_name: str) -> ToolBenchApi | None:
        cat = standard_category(category)
        suffix = f"_for_{cat}".lower()
        tool = standardize(tool_name[: -len(suffix)] if tool_name.lower().endswith(suffix) else tool_name)
        api = change_name(standardize(api_name)).split(f"_for_{tool}")[0]
        hits = self.index.get((tool, api), [])
        return next((a for a in hits if a.category.lower() == cat.lower()), hits[0] if hits else None)

    def answer(self, body: object) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, _reply("The request body must be a JSON object with category, tool_name, api_name "
                               "and tool_input.")
        bad = [f for f in _FIELDS if not isinstance(body.get(f), str) or not body[f].strip()]
        if bad:
            return 400, _reply(f"Missing or non-string field(s): {', '.join(bad)}. Expected a JSON object with "
                               "category, tool_name, api_name and tool_input (a JSON string or object).")
        if standardize(body["api_name"]) == "chat_with_user":
            return 200, _reply("", "Chat with user.")
        tool_input = body.get("tool_input", {})
        if isinstance(tool_input, str):
            try:
                tool_input = parse_json(tool_input) if tool_input.strip() else {}
            except JsonTooDeep as e:
                return 200, _reply(f"Tool input parse error: tool_input {e}.")
            except ValueError:
                return 200, _reply("Tool input parse error: tool_input is not valid JSON.")
        if not isinstance(tool_input, dict):
            return 200, _reply("Tool input parse error: tool_input must be a JSON object.")
        api = self.find(body["category"], body["tool_name"], body["api_name"])
        if api is None:
            return 404, _reply(f"Unknown API {body['api_name']!r} of tool {body['tool_name']!r} in category "
                               f"{body['category']!r}.")
        try:
            return 200, _reply("", self.suite.simulator.respond(api, bind_arguments(api, tool_input), self.seed))
        except ArgError as e:
            return 200, _reply(f"Invalid call to {api.function_name}: {e}.")
        except ApiError as e:
            return 200, _reply(str(e))


class _Handler(JsonHandler):
    server: VirtualApiServer

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0].rstrip("/") != "/virtual":
            return self.send_json(404, _reply(f"Unknown path {self.path!r}; POST /virtual."))
        try:
            body = parse_json(read_body(self, _MAX_BODY))
        except BodyRefused as refused:
            return self.send_json(refused.status, _reply(refused.message))
        except JsonTooDeep as e:
            return self.send_json(400, _reply(f"The request body {e}: refused unparsed."))
        except ValueError:  # UnicodeDecodeError included
            return self.send_json(400, _reply("The request body is not valid JSON."))
        self.send_json(*self.server.api.answer(body))

    def do_GET(self) -> None:  # noqa: N802
        self.send_json(405, _reply("Use POST /virtual with a JSON body."))


class VirtualApiServer(JsonServer):
    def __init__(self, api: VirtualApi, host: str = "127.0.0.1", port: int = 8080, verbose: bool = False,
                 client_timeout: float = CLIENT_TIMEOUT_S) -> None:
        self.api = api
        super().__init__((host, port), _Handler, verbose, client_timeout)


def make_server(options: SuiteOptions, host: str = "127.0.0.1", port: int = 8080, seed: int = 0,
                verbose: bool = False, client_timeout: float = CLIENT_TIMEOUT_S) -> VirtualApiServer:
    """A bound server (``port=0`` picks a free one: read ``server.server_address``); call ``serve_forever``."""
    return VirtualApiServer(VirtualApi(toolbench_suite(options), seed), host, port, verbose, client_timeout)
