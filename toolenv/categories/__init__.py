"""Native category specs, one module per ToolBench RapidAPI category.

Every module in this package defines ``SPEC: CategorySpec``; dropping a new module here
is all it takes to add a category. ``SPECS`` maps slugs (lowercase names) to specs.
"""

from __future__ import annotations

import importlib
import pkgutil

from toolenv.category_spec import CategorySpec

__all__ = ["SPECS"]


def _discover() -> dict[str, CategorySpec]:
    specs = {}
    for info in pkgutil.iter_modules(__path__):
        spec = importlib.import_module(f"{__name__}.{info.name}").SPEC
        if spec.slug in specs:
            raise ValueError(f"duplicate category slug {spec.slug!r}")
        specs[spec.slug] = spec
    return dict(sorted(specs.items()))


SPECS: dict[str, CategorySpec] = _discover()
