"""Self-written implications: SEAL's prompt, one completion per passage, attached under "self" and cut into
training documents like SEAL's files; the whole squad run accepts the self knowledge source."""

from pathlib import Path

import pytest

from toolpast.models import load_model, load_tokenizer
from toolpast.qa.config import ImplicationConfig
from toolpast.qa.implications import with_self_implications, write_implications
from toolpast.qa.presets import get_preset
from toolpast.qa.records import Passage, QAPair
from toolpast.qa.sequences import passage_sequences

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
P = Passage(title="Apollo", context="The Apollo program landed on the Moon.",
            questions=[QAPair(question="What landed?", answer="Apollo")])


def test_greedy_self_implications_are_deterministic_and_become_documents(tiny_model_dir):
    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    cfg = ImplicationConfig(max_new_tokens=8, batch_size=2)
    texts = write_implications(model, tok, [P, P], cfg, seed=0)
    assert len(texts) == 2 and texts[0] == texts[1] == write_implications(model, tok, [P], cfg, seed=0)[0]
    [written] = with_self_implications([P], [["1. It landed.\n2. On the Moon."]])
    assert P.implications == {} and written.implications == {"self": ["1. It landed.\n2. On the Moon."]}
    assert passage_sequences(written, "passage+implications:self")[0] == "Apollo\n1. It landed."
    with pytest.raises(ValueError, match="2 passages but 1"):
        with_self_implications([P, P], [["x"]])


@pytest.mark.skipif(not (DATA / "squad" / "squad_val.json").is_file(), reason="shared data absent")
def test_squad_run_with_self_implications(tmp_path):
    from toolpast.qa.squad_run import run_squad

    cfg = get_preset("smoke", "squad").model_copy(update={"passages": 1, "past": [], "base": False,
                                                   "knowledge": ["passage+implications:self"]})
    board, _ = run_squad(cfg, export=tmp_path / "b.json", command="test")
    [entry] = board.entries
    assert entry.variant.knowledge == "passage+implications:self" and entry.metrics.n == 5
