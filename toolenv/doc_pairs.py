"""Stage-1 SFT data: a category's API docs as prompt/response chat pairs.

Reproduces the first author's prototype (Stanleytowne/Search-R1, ``toolbench_data_process/gen_stage1_data.py``;
docs/method.md section 7) with its template wording. Per API, in this order:

- three "rewrites" of the API's JSON (narrative, technical reference, structured summary), each answering one
  name -> usage-guide prompt (prototype "name_query") and one description -> which-API-and-how prompt
  ("intent_query");
- name -> raw JSON ("raw_json_name") and description -> raw JSON ("raw_json_intent").

Differences: the prototype's rewrites come from a teacher LLM (Qwen2.5-7B-Instruct); ours are the knowledge
corpus's deterministic paraphrases (``toolenv.corpus``: prose, doc page, example calls), which name the API
as the prototype's teacher prompts demand. Templates rotate by API and rewrite index instead of
``random.choice``, and the pairs keep a fixed order (the SFT trainer shuffles). The raw JSON is the prototype's
own ``api_infos`` record (name, description, parameters with required/optional, template_response). Like the
corpus, pairs hold placeholders only: no task queries, trajectories or world records.
"""

from __future__ import annotations

import json

from toolenv.category_spec import CategorySpec
from toolenv.corpus import _page
from toolenv.functions import Function

__all__ = ["doc_pairs", "api_info", "PAIRS_PER_API"]

# [Type A] name -> usage (prototype NAME_QUERY_TEMPLATES)
NAME_QUERY_TEMPLATES = (
    "How do I use the `{name}` API?",
    "What are the arguments for `{name}`?",
    "Please provide the usage guide for `{name}`.",
    "Generate technical documentation for `{name}`.",
    "Explain the schema for `{name}`.",
    "I need help using `{name}`.",
    "What does the `{name}` function do?",
)
# [Type B] description -> usage (prototype INTENT_QUERY_TEMPLATES)
INTENT_QUERY_TEMPLATES = (
    "I need to {description}. Which tool should I use and how?",
    "Is there an API available to {description}? Please explain how to call it.",
    "What is the best way to {description} using the available tools?",
    "I want to {description}. Can you provide the API name and parameter details?",
    "Task: {description}. \nQuestion: Which function supports this and what is its schema?",
    "Help me {description} by identifying the correct API and its usage.",
    "Search for a tool that can {description} and show me how to use it.",
    "Find an API that helps with {description}.",
)
# [Type C] description -> raw JSON (prototype INTENT_TO_JSON_TEMPLATES)
INTENT_TO_JSON_TEMPLATES = (
    "Show me the raw JSON definition for the tool that allows me to {description}.",
    "I need the schema for the API designed to {description}. Output it in JSON.",
    "Find the tool for '{description}' and give me its original definition.",
)
# [Type D] name -> raw JSON (prototype NAME_TO_JSON_TEMPLATES)
NAME_TO_JSON_TEMPLATES = (
    "Show me the raw JSON definition for `{name}`.",
    "Output the original definition of `{name}`.",
    "Get the JSON schema for `{name}`.",
)

REWRITES = 3
PAIRS_PER_API = 2 * REWRITES + 2


def api_info(fn: Function) -> dict:
    """The prototype's per-API JSON record (``get_all_api_infos.py``), keyed by the callable name."""
    props = {p.name: {"type": p.type, "description": p.description} for p in fn.params}
    return {"name": fn.name, "description": fn.api.description.strip(),
            "parameters": {"properties": props, "required": [p.name for p in fn.params if p.required],
                           "optional": [p.name for p in fn.params if not p.required]},
            "template_response": fn.impl.response}


def _clean_description(fn: Function) -> str:
    """The prototype's cleaning (strip, drop a final period, fallback) plus a lower-cased first letter, so
    "I need to {description}" reads as a sentence; acronyms ("SMS ...") keep their case."""
    desc = fn.api.description.strip().removesuffix(".")
    if not desc:
        return f"use the {fn.name} tool"
    return desc if desc[1:2].isupper() else desc[:1].lower() + desc[1:]


def _rewrites(cat: CategorySpec, fn: Function) -> list[str]:
    """Stand-ins for the teacher's three rewrites: narrative prose, technical reference, structured summary."""
    page = _page(cat, fn)
    return [page[2], page[0], f"{page[3]}\n\n{page[4]}"]


def _fill(template: str, **values: str) -> str:
    """The prototype's ``safe_format``: plain replacement, so braces in a description cannot break it."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _chat(prompt: str, response: str) -> list[dict]:
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]


def doc_pairs(cat: CategorySpec, fns: list[Function]) -> list[list[dict]]:
    """``PAIRS_PER_API`` user/assistant chats per API, in documentation order; deterministic."""
    out: list[list[dict]] = []
    for i, fn in enumerate(fns):
        desc = _clean_description(fn)
        for j, text in enumerate(_rewrites(cat, fn)):
            k = REWRITES * i + j
            out.append(_chat(_fill(NAME_QUERY_TEMPLATES[k % len(NAME_QUERY_TEMPLATES)], name=fn.name), text))
            out.append(_chat(_fill(INTENT_QUERY_TEMPLATES[k % len(INTENT_QUERY_TEMPLATES)], description=desc),
                             text))
        raw = json.dumps(api_info(fn), ensure_ascii=False)
        out.append(_chat(_fill(NAME_TO_JSON_TEMPLATES[i % len(NAME_TO_JSON_TEMPLATES)], name=fn.name), raw))
        out.append(_chat(_fill(INTENT_TO_JSON_TEMPLATES[i % len(INTENT_TO_JSON_TEMPLATES)], description=desc),
                         raw))
    return out
