"""LLM-simulated responses, StableToolBench style: the API's doc, a few cached examples
and the call go to a chat model, which answers ``{"error": "", "response": ...}``.

Every answer is written to the response cache before it is returned, so the next run reads
the cache and needs no endpoint; without an endpoint a cache miss is an API error.
"""

from __future__ import annotations

import json
from typing import Any

from toolenv.toolbench.cache import ResponseCache
from toolenv.toolbench.chat import ChatEndpoint, EndpointError
from toolenv.toolbench.records import ToolBenchApi

__all__ = ["simulate_with_llm", "simulator_messages"]

_SYSTEM = """You play the server of one API of a RapidAPI tool. From the API's documentation, its \
example responses and the call's arguments, work out what the API does with this input and answer \
as the real API would. Reply with one JSON object and nothing else:
{"error": "", "response": <the API's output>}
Keep "error" empty unless the input itself cannot work. The response must follow the documented \
response shape when there is one, contain concrete, plausible values that fit the arguments, and \
stay short (at most about 200 words). Ignore examples that are errors or empty."""


def simulator_messages(api: ToolBenchApi, arguments: dict[str, Any],
                       examples: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    doc = {"tool": api.tool_name, "tool_description": api.tool_description[:512], "api": api.api_name,
           "description": api.description[:1024],
           "parameters": [{"name": p.name, "type": p.type, "required": p.required, "description": p.description[:256]}
                          for p in api.params],
           "response_shape": api.template}
    shown = json.dumps([{"arguments": k, "output": v} for k, v in examples], ensure_ascii=False)[:2048]
    user = (f"API documentation: {json.dumps(doc, ensure_ascii=False)[:4096]}\n"
            f"Examples: {shown}\nArguments: {json.dumps(arguments, ensure_ascii=False)}")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def simulate_with_llm(api: ToolBenchApi, arguments: dict[str, Any], cache: ResponseCache,
                      endpoint: ChatEndpoint | None) -> dict[str, Any]:
    """The cached entry for the call, asking ``endpoint`` (and caching) on a miss."""
    entry = cache.get(api, arguments)
    if entry is not None:
        return entry
    if endpoint is None:
        raise EndpointError(f"no cached response for {api.function_name} with these arguments and no simulator "
                            "endpoint configured (llm mode)")
    reply = endpoint.json_reply(simulator_messages(api, arguments, cache.examples(api)))
    entry = ({"error": str(reply.get("error") or ""), "response": reply["response"]} if "response" in reply
             else {"error": "", "response": reply})
    cache.put(api, arguments, entry)
    return entry
