"""Closed-book knowledge probes: does a model hold a category's API surface in its weights?

The first rung of the diagnostic ladder, below task success: questions generated from the docs but phrased
unlike anything in ``knowledge_corpus()`` or ``doc_pairs()`` (so a hit is recall, not a memorised prompt),
scored by string rules rather than a judge. Two kinds per function:

- ``which_api``: its description (quoted) -> its exact function name. Correct iff the first function name of
  the category mentioned in the reply (whole token, case-sensitive) is the right one.
- ``params``: its function name -> its required parameters. Correct iff every required parameter name occurs
  as a whole word (extra names are not penalised: the probe asks what the model knows, not what it omits).
  A function with only optional parameters is answered correctly by saying so ("none", "no required ...",
  case-insensitive); one with no parameters at all gets no probe. (No native function has either today.)

A description shared by two functions of a category would make ``which_api`` ambiguous: such functions get
no ``which_api`` probe.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from toolenv.category_spec import CategorySpec
from toolenv.functions import Function

__all__ = ["Probe", "ProbeKind", "knowledge_probes", "score_probe", "first_function"]

ProbeKind = Literal["which_api", "params"]

# Held-out phrasings: tests check that no probe text occurs in the corpus or in the stage-1 pair prompts.
WHICH_API = ('One of the {category} APIs is documented as: "{description}" '
             "Name that function exactly as it is spelled, nothing else.")
PARAMS = ("Recall the {category} function {name} from memory. "
          "Which argument names does a call to it have to supply? List the names only.")
_NONE = re.compile(r"\b(none|no required|no mandatory|nothing is required)\b", re.IGNORECASE)


class Probe(BaseModel):
    """One closed-book question; ``expected`` is the function name (which_api) or the required parameters."""

    id: str
    kind: ProbeKind
    question: str
    function: str
    expected: list[str]


def knowledge_probes(cat: CategorySpec, fns: list[Function]) -> list[Probe]:
    """All probes of a category: every function's which_api probe, then every function's params probe."""
    descriptions = Counter(fn.api.description.strip() for fn in fns)
    out = [Probe(id=f"{cat.slug}/which_api/{fn.name}", kind="which_api", function=fn.name, expected=[fn.name],
                 question=WHICH_API.format(category=cat.name, description=fn.api.description.strip()))
           for fn in fns if descriptions[fn.api.description.strip()] == 1]
    out += [Probe(id=f"{cat.slug}/params/{fn.name}", kind="params", function=fn.name,
                  expected=[p.name for p in fn.params if p.required],
                  question=PARAMS.format(category=cat.name, name=fn.name))
            for fn in fns if fn.params]
    return out


def _word(name: str) -> re.Pattern[str]:
    """``name`` as a whole identifier: not part of a longer name (letters, digits, underscores)."""
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def first_function(reply: str, names: Iterable[str]) -> str | None:
    """The function name mentioned first in ``reply`` (whole tokens), or None."""
    hits = [(m.start(), n) for n in set(names) if (m := _word(n).search(reply))]
    return min(hits)[1] if hits else None


def score_probe(probe: Probe, reply: str, all_function_names: Iterable[str]) -> bool:
    """Whether ``reply`` answers ``probe`` (rules in the module docstring). ``all_function_names``: the
    category's functions, the candidates a which_api reply may name first (unused by params probes)."""
    if probe.kind == "which_api":
        return first_function(reply, [*all_function_names, probe.function]) == probe.function
    if probe.expected:
        return all(_word(p).search(reply) for p in probe.expected)
    return bool(_NONE.search(reply))

