"""Mock responses: an API's ``template_response`` filled from a hash of the call.

The random stream is seeded by SHA-256 of the canonical JSON of (seed, tool, api,
arguments), so a call gets the same response every time, in every process, and
repeated calls within a query agree. Field names steer the values (urls, dates, ids,
names, coordinates, years); a string field named like an argument echoes it; lists keep
at most three items, and lists the template recorded empty get strings. Numbers have at
least three digits and free text is three words, so an answer that uses them can be told
from one that does not (``grounding``); a dict response with no such value at all (only
booleans, say) gets a ``request_id``, so no query is unsolvable for want of a value to
cite. An API without a template gets a generic ``results`` shape.
"""

from __future__ import annotations

import random
import re
from typing import Any

from toolenv.toolbench.canonical import canonical_json, seed_of
from toolenv.toolbench.grounding import value_evidence
from toolenv.toolbench.records import ToolBenchApi

__all__ = ["mock_response", "GENERIC_TEMPLATE", "MAX_ITEMS"]

MAX_ITEMS = 3
GENERIC_TEMPLATE: dict[str, Any] = {
    "results": [{"id": "str", "name": "str", "description": "str", "value": "float", "updated": "str",
                 "_list_length": 2}],
    "total": "int",
}
_LIST_OF = re.compile(r"list of (\w+) with length (\d+)")
_WORDS = (
    "amber", "birch", "cobalt", "delta", "ember", "fjord", "granite", "harbor", "indigo", "juniper", "kestrel",
    "lagoon", "meadow", "nimbus", "onyx", "prairie", "quartz", "raven", "sierra", "tundra", "umber", "violet",
    "willow", "xenon", "yarrow", "zephyr", "aurora", "basalt", "cedar", "dune", "echo", "falcon", "glacier",
    "heron", "iris", "jasper", "koala", "lumen", "maple", "nova", "orchid", "pebble", "quill", "ridge", "sable",
    "thistle", "upland", "vale", "wren", "yucca",
)
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD")
_URL = ("url", "link", "href", "uri", "website", "homepage", "image", "img", "thumbnail", "avatar", "logo", "icon",
        "photo", "path")
_LANGUAGES = ("en", "fr", "de", "es", "it", "ja", "pt")
_ID = ("id", "uuid", "slug", "code", "key", "token", "hash", "isbn", "sku", "symbol", "ticker")
_NAME = ("name", "title", "label", "author", "artist", "city", "country", "team", "player", "company", "brand",
         "venue", "location", "user", "owner", "region", "address", "street", "category", "genre", "type")


def _is_id(key: str) -> bool:
    k = key.lower()
    return any(k == h or k.endswith("_" + h) for h in _ID) or key.endswith(("Id", "ID", "Code"))


def _words(r: random.Random, n: int) -> list[str]:
    return [r.choice(_WORDS) for _ in range(n)]


def _string(key: str, r: random.Random, tool: str) -> str:
    k = key.lower()
    if any(h in k for h in _URL):
        return f"https://example.com/{tool}/{r.getrandbits(32):08x}"
    if "email" in k or k.endswith("mail"):
        return f"{r.choice(_WORDS)}.{r.choice(_WORDS)}{r.randint(10, 99)}@example.com"
    if "date" in k or k.endswith("_at") or "created" in k or "updated" in k or "published" in k or "time" in k:
        day = f"20{r.randint(15, 24)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        return day if "date" in k or "time" not in k else f"{day}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"
    if "currency" in k:
        return r.choice(_CURRENCIES)
    if "lang" in k or "locale" in k:
        return r.choice(_LANGUAGES)
    if "zip" in k or "postal" in k:
        return f"{r.randint(10000, 99999)}"
    if "phone" in k:
        return f"+1-555-{r.randint(100, 999)}-{r.randint(1000, 9999)}"
    if _is_id(key):
        return f"{r.getrandbits(40):010x}"
    if any(h in k for h in ("price", "amount", "cost", "rate", "value", "balance", "score")):
        return f"{r.uniform(10, 9999):.2f}"
    if any(h in k for h in _NAME):
        return " ".join(w.capitalize() for w in _words(r, 2))
    return " ".join(_words(r, 3))


def _number(kind: str, key: str, r: random.Random) -> int | float:
    k = key.lower()
    if kind == "float":
        if k in ("lat", "latitude") or k.endswith("_lat"):
            return round(r.uniform(-80, 80), 4)
        if k in ("lon", "lng", "long", "longitude") or k.endswith(("_lon", "_lng")):
            return round(r.uniform(-170, 170), 4)
        return round(r.uniform(10, 9999), 2)
    if "year" in k:
        return r.randint(1990, 2024)
    if _is_id(key):
        return r.randint(100000, 999999)
    return r.randint(100, 99999)


class _Filler:
    def __init__(self, r: random.Random, tool: str, arguments: dict[str, Any]) -> None:
        self.r, self.tool = r, tool
        self.echo = {k.lower(): v for k, v in arguments.items() if isinstance(v, (str, int, float))
                     and not isinstance(v, bool)}

    def leaf(self, kind: str, key: str) -> Any:
        if kind == "str":
            if key.lower() in self.echo:
                return str(self.echo[key.lower()])
            return _string(key, self.r, self.tool)
        if kind in ("int", "float"):
            return _number(kind, key, self.r)
        if kind == "bool":
            return self.r.random() < 0.5
        if kind == "NoneType":
            return None
        if kind == "empty list":
            return [self.leaf("str", key) for _ in range(2)]
        m = _LIST_OF.fullmatch(kind)
        if m:
            return [self.leaf(m.group(1), key) for _ in range(min(int(m.group(2)), MAX_ITEMS))]
        if kind in ("list", "dict"):
            return [] if kind == "list" else {}
        return _string(key, self.r, self.tool)

    def fill(self, node: Any, key: str) -> Any:
        if isinstance(node, dict):
            return {k: self.fill(v, k) for k, v in node.items() if k != "_list_length"}
        if isinstance(node, list):
            if not node:
                return [self.leaf("str", key) for _ in range(2)]
            item = node[0]
            n = item.get("_list_length", 2) if isinstance(item, dict) else 2
            n = min(n if isinstance(n, int) and n >= 0 else 2, MAX_ITEMS)
            if isinstance(item, str) and _LIST_OF.fullmatch(item):
                return self.leaf(item, key)
            return [self.fill(item, key) for _ in range(n)]
        if isinstance(node, str):
            return self.leaf(node, key)
        return node


def mock_response(api: ToolBenchApi, arguments: dict[str, Any], seed: int = 0) -> Any:
    """The response to a validated call (``arguments`` from ``bind_arguments``)."""
    r = random.Random(seed_of({"seed": seed, "tool": api.tool, "api": api.api, "arguments": arguments}))
    template = api.template if api.template is not None else GENERIC_TEMPLATE
    response = _Filler(r, api.tool, arguments).fill(template, "")
    if isinstance(response, dict) and not value_evidence(response, canonical_json(arguments)):
        response["request_id"] = f"{r.getrandbits(40):010x}"
    return response
