"""Session fixtures for the skill-vector tests (helpers live in vectors_testutil)."""

from __future__ import annotations

from pathlib import Path

import pytest
from vectors_testutil import OUT_SHARD_BYTES, make_model, perturb, save


@pytest.fixture(scope="session")
def models(tmp_path_factory) -> dict[str, Path]:
    """sft, rl = sft + RL-ish update, and an independently initialised target sft_T; fp32, sharded."""
    root = tmp_path_factory.mktemp("models")
    sft = make_model(0)
    rl = perturb(sft, 1, 0.01)
    target = make_model(2)
    return {
        "sft": save(sft, root / "sft"),
        "rl": save(rl, root / "rl"),
        "target": save(target, root / "target"),
    }


@pytest.fixture(scope="session")
def vector_dir(models, tmp_path_factory) -> Path:
    from toolpast.vectors import extract_skill_vector

    out = tmp_path_factory.mktemp("vec") / "v"
    extract_skill_vector(models["rl"], models["sft"], out, shard_max_bytes=OUT_SHARD_BYTES)
    return out
