"""tasks/*.json are the declarative suite definitions: they must agree with toolenv and the default config."""

import json
from pathlib import Path

import toolenv
from toolpast.tooluse.config import RunConfig

TASKS = Path(__file__).resolve().parents[3] / "tasks"


def test_native_suite_roles_are_disjoint_and_known():
    suite = json.loads((TASKS / "native.json").read_text())
    roles = suite["roles"]
    names = roles["source"] + roles["warmup"] + roles["targets"]
    assert len(names) == len(set(names)), "a category has two roles"
    assert set(names) == set(toolenv.list_categories())
    defaults = RunConfig()
    assert defaults.source == roles["source"] and defaults.warmup.categories == roles["warmup"]
    assert defaults.target in roles["targets"]
