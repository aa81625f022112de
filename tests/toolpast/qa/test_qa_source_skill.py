"""The QA skill vector's K rounds: the shared refinement (stages/rounds.py) over round-robin parts of the passages,
with the QA stage names and specs; K = 1 trains on every source passage."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from toolpast.artifacts import stage_key
from toolpast.qa.presets import get_preset
from toolpast.qa.records import Passage, QAPair
from toolpast.qa.source_skill import learn_qa_skill, passages_digest
from toolpast.stages.model_ref import Model


class RecordingRunner:
    """Records (name, spec) and hands back an artifact-like object with `outputs`; runs nothing."""

    def __init__(self, outputs: dict | None = None):
        self.calls: list[tuple[str, dict]] = []
        self.outputs = outputs or {}

    def stage(self, name, spec, fn, check=None, about=None):
        self.calls.append((name, spec))
        key = stage_key(name, spec)
        artifact = SimpleNamespace(key=key, path=Path("/nowhere") / key, outputs=dict(self.outputs))
        if check is not None:  # the result check runs as the real runner runs it
            check(artifact)
        return artifact


def _passages(n):
    return [Passage(title=f"t{i}", context=f"context {i}", questions=[QAPair(question=f"q{i}?", answer="a")])
            for i in range(n)]


def _learn(rounds, passages, runner=None, min_vector_kept=0.0):
    cfg = get_preset("smoke", "squad")
    cfg = cfg.model_copy(update={"source": cfg.source.model_copy(update={"rounds": rounds}),
                                 "min_vector_kept": min_vector_kept})
    runner = runner or RecordingRunner()
    base = Model(Path("/base"), {"model": "m", "weights_sha256": "0"})
    return learn_qa_skill(cfg, runner, base, passages, SimpleNamespace(name="offline:v1")), runner.calls


def test_two_rounds_deal_passages_round_robin_and_start_round_two_from_sft_plus_v1():
    passages = _passages(5)
    (first, second), calls = _learn(2, passages)
    assert [name for name, _ in calls] == ["qa_source_sft", "qa_rl", "qa_vector",
                                           "qa_source_sft", "qa_inject", "qa_rl", "qa_vector"]
    sft_specs = [spec for name, spec in calls if name == "qa_source_sft"]
    assert [spec["passages"] for spec in sft_specs] == [passages_digest(passages[0::2]),
                                                        passages_digest(passages[1::2])]
    assert [spec["n"] for spec in sft_specs] == [3, 2] and all(s["start"]["model"] == "m" for s in sft_specs)
    inject = next(spec for name, spec in calls if name == "qa_inject")
    assert inject == {"model": second.sft.key, "vector": first.vector.key, "lam": 1.0}
    rl_specs = [spec for name, spec in calls if name == "qa_rl"]
    assert rl_specs[0]["start"] == first.sft.key and rl_specs[1]["start"] == second.start.key
    assert calls[-1][1] == {"rl": second.rl.key, "sft": second.sft.key}  # v_2 against sft_2, not the start


def test_one_round_uses_every_passage_and_too_few_passages_fail_first():
    passages = _passages(3)
    (only,), calls = _learn(1, passages)
    assert calls[0][1]["passages"] == passages_digest(passages) and only.start is None
    with pytest.raises(ValueError, match="source.rounds=4 needs at least 4 source passages, found 3"):
        _learn(4, passages)


@pytest.mark.parametrize("outputs, stops_at, message", [
    ({"entries": 100, "zeros": 90}, "qa_vector", r"skill vector /nowhere/\w+/vector is 90.0% exact zeros"),
    ({"entries": 100, "zeros": 0, "surviving_fraction": 0.1}, "qa_inject",
     r"injection /nowhere/\w+: only 10.0% of \|\|lam \* v\|\| survived the cast"),
])
def test_the_qa_skill_stages_are_checked_as_the_tool_use_ones(outputs, stops_at, message):
    """The QA vector and inject stages go through the tool-use run's checked builders (stages/skill_stages.py):
    a vector that is mostly zeros, or that the target's dtype rounds away, stops the run at that stage."""
    from toolpast.vector_check import MostlyZeroVector

    runner = RecordingRunner(outputs)
    with pytest.raises(MostlyZeroVector, match=message):
        _learn(2, _passages(4), runner, min_vector_kept=0.5)
    assert runner.calls[-1][0] == stops_at
    assert len(_learn(2, _passages(4), RecordingRunner(outputs))[0]) == 2  # min_vector_kept=0: never fails
