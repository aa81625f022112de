"""SEAL's training documents: filler line dropped, 30-piece cap, title prefix, passage last, CPT unsplit."""

import json
from pathlib import Path

import pytest

from toolpast.qa.implications import implications_prompt
from toolpast.qa.records import Passage, QAPair
from toolpast.qa.sequences import completion_pieces, knowledge_writer, passage_sequences

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "squad"


def _passage(**implications) -> Passage:
    return Passage(title="Apollo", context=" The Apollo program landed on the Moon. ",
                   questions=[QAPair(question="What landed?", answer="Apollo")], implications=implications)


def test_filler_first_line_is_dropped_when_the_list_starts_on_line_two():
    text = "Sure, here is the list of implications:\n1. First.\n\n2. Second.\n"
    assert completion_pieces(text) == ["1. First.", "2. Second."]
    assert completion_pieces("1. First.\n2. Second.") == ["1. First.", "2. Second."]  # no filler: all kept


def test_cut_after_a_repeated_implications_marker_and_capped():
    text = "Thought: long reasoning\nImplications:\n" + "\n".join(f"{i}. fact {i}" for i in range(1, 41))
    pieces = completion_pieces(text, max_pieces=30)
    assert pieces[0] == "1. fact 1" and len(pieces) == 30


def test_segments_split_on_dashes_and_kept_whole_without_newline_splitting():
    text = "a line\nanother line\n---\nsecond segment"
    assert completion_pieces(text, split_newlines=False) == ["a line\nanother line", "second segment"]


def test_passage_sequences_prefix_title_and_end_with_the_passage():
    p = _passage(gpt41=["1. The program was named Apollo.\n2. It reached the Moon."])
    docs = passage_sequences(p, "passage+implications:gpt41")
    assert docs == ["Apollo\n1. The program was named Apollo.", "Apollo\n2. It reached the Moon.",
                    "Apollo\nThe Apollo program landed on the Moon."]
    assert passage_sequences(p, "passage") == ["Apollo\nThe Apollo program landed on the Moon."]


def test_missing_implications_and_bad_knowledge_are_clear_errors():
    with pytest.raises(ValueError, match="no implications by 'qwen'"):
        passage_sequences(_passage(gpt41=["x"]), "passage+implications:qwen")
    with pytest.raises(ValueError, match="completion 3"):
        passage_sequences(_passage(gpt41=["x"]), "passage+implications:gpt41", completion=3)
    with pytest.raises(ValueError, match="unknown knowledge source"):
        knowledge_writer("implications")


def test_implication_prompt_is_the_one_in_seals_files():
    path = SHARED / "seal_eval200_gpt41_implications.json"
    if not path.is_file():
        pytest.skip("shared SQuAD data not present")
    record = json.loads(path.read_text())[0]
    p = Passage(title=record["title"], context=record["context"], questions=[])
    assert implications_prompt(p) == record["prompt"]
