"""The one K-round refinement (stages/rounds.py): which stage each round calls, from which model, in which order."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from toolpast.stages.model_ref import Model
from toolpast.stages.rounds import RoundStages, refine_rounds


def _artifact(name: str):
    return SimpleNamespace(key=name, path=Path("/nowhere") / name)


def test_rounds_chain_sft_plus_previous_vector_into_rl_and_take_v_against_sft():
    calls = []

    def stage(name):
        calls.append(name)
        return _artifact(name)

    rounds = refine_rounds(RoundStages(
        rounds=3,
        sft=lambda k: stage(f"sft{k}"),
        inject=lambda k, sft, previous: stage(f"start{k}={sft.ref}+{previous.key}"),
        rl=lambda k, start: stage(f"rl{k}<-{start.ref}"),
        vector=lambda k, rl, sft: stage(f"v{k}={rl.key}-{sft.key}")))
    assert calls == ["sft1", "rl1<-sft1", "v1=rl1<-sft1-sft1",
                     "sft2", "start2=sft2+v1=rl1<-sft1-sft1", "rl2<-start2=sft2+v1=rl1<-sft1-sft1",
                     "v2=rl2<-start2=sft2+v1=rl1<-sft1-sft1-sft2",
                     "sft3", "start3=sft3+v2=rl2<-start2=sft2+v1=rl1<-sft1-sft1-sft2",
                     "rl3<-start3=sft3+v2=rl2<-start2=sft2+v1=rl1<-sft1-sft1-sft2",
                     "v3=rl3<-start3=sft3+v2=rl2<-start2=sft2+v1=rl1<-sft1-sft1-sft2-sft3"]
    assert [r.k for r in rounds] == [1, 2, 3] and rounds[0].start is None
    assert rounds[1].start.key.startswith("start2") and rounds[2].vector.key == calls[-1]


def test_a_model_of_an_artifact_is_its_model_dir_named_by_its_build_id():
    assert Model.of(_artifact("a1")) == Model(Path("/nowhere/a1/model"), "a1")
