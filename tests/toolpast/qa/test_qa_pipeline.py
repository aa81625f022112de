"""`toolpast qa squad` / `qa loogle` end to end on the tiny random model and the real data (two passages):
the leaderboard has the right rows, and a rerun resumes from the per-passage cache without retraining."""

from pathlib import Path

import pytest

from toolpast.leaderboard.schema import Leaderboard
from toolpast.qa.presets import get_preset

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not (DATA / "squad" / "squad_val.json").is_file(), reason="shared data absent")


def _variants(board):
    return {(e.variant.name, e.variant.knowledge, e.variant.setting) for e in board.entries}


@needs_data
def test_single_passage_board_then_resume_without_training(tmp_path, monkeypatch):
    from toolpast.qa import passage_sft
    from toolpast.qa.squad_run import run_squad

    cfg = get_preset("smoke", "squad").model_copy(update={"past": []})
    board, out = run_squad(cfg, export=tmp_path / "b.json", command="test")
    assert _variants(board) == {("base", None, "single_passage"), ("sft", "passage", "single_passage"),
                                ("sft", "passage+implications:gpt41", "single_passage")}
    first = Leaderboard.model_validate_json(out.read_text())
    for e in first.entries:
        assert e.category == "seal200_first2" and e.suite == "squad" and e.grader == "offline:v1"
        assert [o.task_id for o in e.outcomes] == ["0", "1"]
        assert e.metrics.n == sum(o.samples for o in e.outcomes) == 9  # SEAL's first two passages: 5 + 4 questions

    def no_training(*args, **kwargs):
        raise AssertionError("a cached passage was trained again")

    monkeypatch.setattr(passage_sft.PassageAdapter, "_train", no_training)
    again, _ = run_squad(cfg, export=tmp_path / "c.json", command="test")
    assert [e.metrics for e in again.entries] == [e.metrics for e in first.entries]


@needs_data
@pytest.mark.slow
def test_past_cpt_and_loogle_smoke(tmp_path):
    from toolpast.qa.loogle_run import run_loogle
    from toolpast.qa.squad_run import run_squad

    board, _ = run_squad(get_preset("smoke", "squad"), export=tmp_path / "single.json", command="test")
    past = [e for e in board.entries if e.variant.name == "past"]
    assert len(past) == 1 and past[0].variant.vector_id and past[0].variant.rounds == 1
    assert past[0].variant.knowledge == "passage+implications:gpt41"

    cpt = get_preset("smoke", "squad").model_copy(update={"setting": "cpt"})
    board, _ = run_squad(cpt, export=tmp_path / "cpt.json", command="test")
    assert {v[2] for v in _variants(board)} == {"cpt:3"}
    assert {v[0] for v in _variants(board)} == {"base", "sft", "past"}

    board, _ = run_loogle(get_preset("smoke", "loogle"), export=tmp_path / "loogle.json", command="test")
    assert {e.suite for e in board.entries} == {"loogle"} and {e.category for e in board.entries} == {"shortdep_subset"}
    assert all(e.metrics.n == 3 for e in board.entries)
