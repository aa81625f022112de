"""The ToolBench oracle: call each relevant API with arguments from the docs, then answer
with values the calls returned.

Its answer quotes the first two pieces of evidence (``grounding``) of each response as an
episode would show it, so it passes the solvable-path metric whenever the APIs answer.
Responses come from the task's own simulator, so in llm mode this may ask the endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from toolenv.ops import ApiError
from toolenv.records import Task
from toolenv.toolbench.grounding import observation_evidence
from toolenv.toolbench.simulator import ApiFunction

__all__ = ["oracle_actions", "VISIBLE_CHARS"]

VISIBLE_CHARS = 1000  # quote only what any sensible observation limit still shows
_PER_API = 2


def oracle_actions(task: Task, functions: Mapping[str, ApiFunction]) -> list[str]:
    """Thought/Action/Action Input texts for each relevant API, then the Finish (``functions``: the task's)."""
    exclude = task.query + " " + " ".join(json.dumps(c.arguments) for c in task.gold_calls)
    actions, found = [], []
    for call in task.gold_calls:
        fn = functions[call.name]
        args = fn.bind(call.arguments)
        actions.append(f"Thought: {fn.thought(args)}\nAction: {call.name}\nAction Input: {json.dumps(call.arguments)}")
        try:
            observation = json.dumps({"error": "", "response": fn.run(None, args)})
        except ApiError:
            continue
        evidence = observation_evidence([observation[:VISIBLE_CHARS]], exclude)[:_PER_API]
        if evidence:
            found.append(f"{fn.api.api_name} gave " + ", ".join(f"{e.key or 'value'} {e.text}" for e in evidence))
    answer = ("Here is what I found. " + "; ".join(found) + ".") if found else "The APIs returned no usable data."
    finish = {"return_type": "give_answer", "final_answer": answer}
    actions.append(f"Thought: I have what the user asked for.\nAction: Finish\nAction Input: {json.dumps(finish)}")
    return actions
