"""Every named starting config, in one registry that knows no suite: suite -> preset name -> builder.

Each suite registers its presets from its own module (toolpast/tooluse/presets.py: "tool-use";
toolpast/qa/presets.py: "squad", "loogle"), which its command-line module imports; `--preset` takes the names.
Any field can still be overridden with `--set a.b=value`.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

PRESETS: dict[str, dict[str, Callable[[], BaseModel]]] = {}


def register(suite: str, builders: dict[str, Callable[[], BaseModel]]) -> None:
    """Add a suite's presets; registering a name twice is a programming error, not an override."""
    known = PRESETS.setdefault(suite, {})
    twice = sorted(set(known) & set(builders))
    if twice:
        raise ValueError(f"suite {suite!r} registers preset(s) {twice} twice")
    known.update(builders)


def names(suite: str) -> list[str]:
    """The preset names of a registered suite."""
    return list(_presets(suite))


def get_preset(name: str, suite: str) -> BaseModel:
    """The config preset `name` of a registered suite (e.g. tool-use: a RunConfig; squad, loogle: QA configs)."""
    presets = _presets(suite)
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(presets)}")
    return presets[name]()


def _presets(suite: str) -> dict[str, Callable[[], BaseModel]]:
    if suite not in PRESETS:
        raise ValueError(f"no presets registered for suite {suite!r} (registered: {sorted(PRESETS) or 'none'}); "
                         "import the suite's presets module first")
    return PRESETS[suite]
