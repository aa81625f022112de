"""SEAL's evaluation set rebuilt from squad_val.json must be SEAL's: same 200 passages in the same order."""

import json
from pathlib import Path

import pytest

from toolpast.qa.squad_data import load_squad_val, seal_eval_passages, source_passages

SQUAD = Path(__file__).resolve().parents[4] / "shared" / "data" / "squad"
pytestmark = pytest.mark.skipif(not (SQUAD / "squad_val.json").is_file(), reason="../shared/data/squad absent")


@pytest.fixture(scope="module")
def eval_set():
    return seal_eval_passages(SQUAD)


def test_squad_val_counts():
    passages = load_squad_val(SQUAD / "squad_val.json")
    assert len(passages) == 2067
    assert sum(len(p.questions) for p in passages) == 10570


def test_eval_set_is_seals_in_seals_order(eval_set):
    assert len(eval_set) == 200 and sum(len(p.questions) for p in eval_set) == 974
    for name in ("seal_eval200_qwen_implications.json", "seal_eval200_gpt41_implications.json"):
        seal = json.loads((SQUAD / name).read_text(encoding="utf-8"))
        assert [p.title for p in eval_set] == [s["title"] for s in seal]
        assert [p.context for p in eval_set] == [s["context"] for s in seal]
    assert eval_set[0].title == "Genghis Khan" and eval_set[0].questions[1].answer == "Otrar"


def test_implications_attached(eval_set):
    for p in eval_set:
        assert set(p.implications) == {"qwen", "gpt41"}
        assert len(p.implications["qwen"]) == 5 and len(p.implications["gpt41"]) == 5
    assert eval_set[0].implications["gpt41"][0].startswith("**Implications:**")


def test_tampered_implication_file_fails_loudly(tmp_path):
    (tmp_path / "squad_val.json").symlink_to(SQUAD / "squad_val.json")
    (tmp_path / "seal_eval200_gpt41_implications.json").symlink_to(SQUAD / "seal_eval200_gpt41_implications.json")
    qwen = json.loads((SQUAD / "seal_eval200_qwen_implications.json").read_text(encoding="utf-8"))
    qwen[3], qwen[4] = qwen[4], qwen[3]
    (tmp_path / "seal_eval200_qwen_implications.json").write_text(json.dumps(qwen), encoding="utf-8")
    with pytest.raises(ValueError, match="passage 3 .* not SEAL's evaluation set"):
        seal_eval_passages(tmp_path)


def test_source_passages_disjoint_and_deterministic(eval_set):
    held = {p.context for p in eval_set}
    first = source_passages(SQUAD, n=50, seed=0)
    assert len(first) == 50 and not held & {p.context for p in first}
    assert [p.context for p in first] == [p.context for p in source_passages(SQUAD, n=50, seed=0)]
    assert [p.context for p in first] != [p.context for p in source_passages(SQUAD, n=50, seed=1)]
    everything = source_passages(SQUAD, n=None)
    assert len(everything) == 2067 - 200
    strict = source_passages(SQUAD, n=None, exclude_eval_titles=True)
    assert strict and not {p.title for p in strict} & {p.title for p in eval_set}
    with pytest.raises(ValueError, match="source passages"):
        source_passages(SQUAD, n=5000)
