"""The knowledge corpus: a category's API surface as paraphrased SFT documents.

Closed-book evaluation needs API names, parameters and how the APIs chain to come from
the weights; these documents teach exactly that, in several forms (doc pages, ToolBench
JSON, parameter lists, example calls, "which API returns X" Q&A, workflows). They never
contain task queries, trajectories or world records: example values are placeholders.
"""

from __future__ import annotations

import json

from toolenv.category_spec import CategorySpec
from toolenv.docs import api_doc, reply_fields
from toolenv.functions import Function
from toolenv.params import DATE_TYPE, TIME_TYPE
from toolenv.spec import Aggregate, Create, Get, ListBy, Quote, Search

__all__ = ["knowledge_corpus", "example_arguments"]


def example_arguments(fn: Function, cat: CategorySpec) -> dict[str, object]:
    """Placeholder arguments: documented types and enum choices, never world values."""
    prefixes = {t.key: t.prefix for t in cat.tables}
    out: dict[str, object] = {}
    for p in fn.params:
        if not p.required:
            continue
        if p.choices:
            out[p.name] = p.choices[0]
        elif p.type == "NUMBER":
            out[p.name] = 2
        elif p.type == DATE_TYPE:
            out[p.name] = "2025-01-31"
        elif p.type == TIME_TYPE:
            out[p.name] = "18:30"
        elif isinstance(fn.api.op, Search) and p.name == fn.api.op.param:
            t = cat.table(fn.api.op.table)
            out[p.name] = f"<{t.entity} {t.name_label}>"
        elif p.name in prefixes:
            out[p.name] = f"{prefixes[p.name]}-0000"
        else:
            out[p.name] = f"<{p.name.replace('_', ' ')}>"
    return out


def _params_text(fn: Function) -> str:
    parts = [f"{p.name} ({p.type}, {'required' if p.required else f'optional, default {p.default}'}): "
             f"{p.description.rstrip('.')}" for p in fn.params]
    return "; ".join(parts)


def _page(cat: CategorySpec, fn: Function) -> list[str]:
    args = json.dumps(example_arguments(fn, cat))
    fields = reply_fields(fn.impl.response)
    return [
        f"# {fn.name}\nCategory: {cat.name}. Tool: {fn.tool.name} ({fn.tool.description})\n"
        f"{fn.api.description}\nMethod: {fn.impl.method}\nParameters: {_params_text(fn)}\nResponse fields: {fields}",
        json.dumps(api_doc(cat.name, fn).model_dump(), indent=1),
        f"The {fn.tool.name} tool's {fn.api.name} endpoint is called as {fn.name}. "
        f"It takes {len(fn.params)} argument(s): {_params_text(fn)}. {fn.api.description}",
        f"Example call of {fn.name}:\nThought: {fn.api.description}\nAction: {fn.name}\nAction Input: {args}",
        f'Example JSON tool call: {{"name": "{fn.name}", "arguments": {args}}}\n'
        f"The observation is JSON with the fields: {fields}.",
    ]


def _qa(cat: CategorySpec, fn: Function) -> list[str]:
    op = fn.api.op
    t = cat.table(op.table)
    key = t.key
    if isinstance(op, Search):
        return [f"Q: How do I find the ID of a {t.entity} from its {t.name_label}?\n"
                f"A: Call {fn.name} with {op.param}; each result has {key} and {t.name_field}."]
    if isinstance(op, Get):
        out = []
        for c in fn.impl.response:
            if c == key:
                continue
            label = t.name_label if c == t.name_field else t.field(c).label
            out.append(f"Q: Which API returns the {label} of a {t.entity}?\n"
                       f"A: {fn.name}, given the {key}; the value is in the '{c}' field.")
        return out
    if isinstance(op, ListBy):
        by = t.field(op.by)
        return [f"Q: How do I find the {op.superlative} {t.entity} for a given {by.label}?\n"
                f"A: Call {fn.name} with {op.by}; results are sorted by {t.field(op.order).label}, "
                f"so the first result is the {op.superlative}. 'total' counts all matches."]
    if isinstance(op, Aggregate):
        by, m = t.field(op.by), t.field(op.metric).label
        return [f"Q: Which API gives the number of {t.entities} and their average, lowest and highest {m} "
                f"for a {by.label}?\nA: {fn.name} with {op.by}; it returns count, average_{op.metric}, "
                f"min_{op.metric} and max_{op.metric}."]
    if isinstance(op, Quote):
        what = op.phrase.format(quantity=f"<{op.quantity}>", target=f"a {t.entity}")
        return [f"Q: How do I compute the {op.total_label} of {what}?\n"
                f"A: Call {fn.name} with {key} and {op.quantity}; the result is in 'total'."]
    if isinstance(op, Create):
        parent = f"a {cat.table(t.field(op.via).ref).entity}" if op.via else ""
        what = op.phrase.format(target=parent, **{n: f"<{n}>" for n in op.sets})
        return [f"Q: How do I {what}?\nA: Call {fn.name} with {', '.join(p.name for p in fn.params)}. "
                f"It returns the new {key}."]
    what = op.phrase.format(target=f"a {t.entity}", value=f"a new {t.field(op.field).label}")
    return [f"Q: How do I {what}?\nA: Call {fn.name} with {', '.join(p.name for p in fn.params)}."]


def _workflows(cat: CategorySpec, fns: list[Function]) -> list[str]:
    """How APIs chain: name -> id -> details, foreign keys across tools."""
    search = {f.api.op.table: f for f in fns if isinstance(f.api.op, Search)}
    get = {f.api.op.table: f for f in fns if isinstance(f.api.op, Get)}
    out = []
    for f in fns:
        t = cat.table(f.api.op.table)
        needs = [p.name for p in f.params if p.name.endswith("_id")]
        for name in needs:
            owner = next((x for x in cat.tables if x.key == name), None)
            if owner is not None and owner.name in search:
                out.append(f"To call {f.name} for a {owner.entity} known by {owner.name_label}, first call "
                           f"{search[owner.name].name} and pass the {name} of the matching result.")
        if isinstance(f.api.op, Get):
            for c in f.impl.response:
                target = next((x for x in cat.tables if x.key == c and x is not t), None)
                if target is not None and target.name in get:
                    out.append(f"The {t.field(c).label} of a {t.entity} is the '{c}' field of {f.name}; "
                               f"pass it to {get[target.name].name} for that {target.entity}'s details.")
    return out


def knowledge_corpus(cat: CategorySpec, fns: list[Function]) -> list[str]:
    """All documents for one category, in a fixed order."""
    lines = "\n".join(f"- {f.name}: {f.api.description}" for f in fns)
    docs = [f"The {cat.name} category ({cat.description}) offers these APIs:\n{lines}"]
    for tool in cat.tools:
        names = ", ".join(f.name for f in fns if f.tool.name == tool.name)
        docs.append(f"Tool {tool.name} in category {cat.name}: {tool.description} Its functions: {names}.")
    for fn in fns:
        docs += _page(cat, fn) + _qa(cat, fn)
    return docs + _workflows(cat, fns)
