"""System prompts: the action protocol, closed- or open-book.

The closed-book prompt is identical for every category (protocol plus one generic
example over a made-up API that exists in no category), so a policy trained on one
category sees the same instructions on another and API knowledge must come from its
weights. The open-book prompt appends the category's compact docs.
"""

from __future__ import annotations

from toolenv.records import Book

__all__ = ["EXAMPLE_FUNCTION", "system_prompt", "tool_calling_prompt"]

EXAMPLE_FUNCTION = "get_tide_times_for_demo_harbor_api"

_PROTOCOL = f"""You solve the user's request by calling APIs, one call per reply, in this format:
Thought: <brief reasoning>
Action: <function name>
Action Input: <JSON object of arguments>
Function names look like <api_name>_for_<tool_name>. After each call you get "Observation: <JSON result>".
When you know the answer, reply:
Thought: <brief reasoning>
Action: Finish
Action Input: {{"return_type": "give_answer", "final_answer": "<answer with every requested value>"}}
If the request cannot be solved, use {{"return_type": "give_up_and_restart"}}.
A JSON tool call {{"name": "<function name>", "arguments": {{...}}}} is also accepted.
Example step:
Thought: I need today's tides for harbor HRB-0000.
Action: {EXAMPLE_FUNCTION}
Action Input: {{"harbor_id": "HRB-0000", "days": 1}}"""

_TOOL_CALLING = """Solve the user's request with the call_api tool: name is an API function name \
(<api_name>_for_<tool_name>), arguments is a JSON object string. Make one call at a time and \
use the results. When you know the answer, call finish with a complete answer that states every \
requested value."""


def system_prompt(book: Book, docs: str) -> str:
    """ReAct protocol prompt; ``docs`` (the category's ``docs_text``) is used open-book only."""
    return _PROTOCOL if book == "closed" else f"{_PROTOCOL}\n\n{docs}"


def tool_calling_prompt(book: Book, docs: str) -> str:
    """System prompt for native tool calling (TRL environments), closed- or open-book."""
    return _TOOL_CALLING if book == "closed" else f"{_TOOL_CALLING}\n\n{docs}"
