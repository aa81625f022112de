"""LooGLE parsing (Python-literal qa_pairs) and document chunking for SFT."""

import json
from pathlib import Path

import pytest

from toolpast.qa.loogle_data import chunk_document, load_loogle

LOOGLE = Path(__file__).resolve().parents[4] / "shared" / "data" / "loogle"
needs_data = pytest.mark.skipif(not (LOOGLE / "shortdep_qa.jsonl").is_file(), reason="../shared/data/loogle absent")


@needs_data
@pytest.mark.parametrize("kind,questions", [("shortdep", [11, 12, 16, 25, 16]), ("longdep", [6, 9, 11, 10, 7])])
def test_counts_per_file(kind, questions):
    docs = load_loogle(kind, LOOGLE)
    assert [len(d.questions) for d in docs] == questions
    assert all(len(d.context) > 40_000 for d in docs)
    assert all(q.evidence and q.question and q.answer for d in docs for q in d.questions)


@needs_data
def test_longdep_keeps_type_and_evidence_lists():
    doc = load_loogle("longdep", LOOGLE)[-1]
    assert doc.title == "Assassination of Shinzo Abe"
    assert doc.questions[0].kind == "comprehension_and_reasoning" and len(doc.questions[0].evidence) >= 2


def test_python_literal_qa_pairs_and_bad_records(tmp_path):
    pairs = "[{'Q': \"Who's there?\", 'A': 'Me.', 'S': 'evidence one'}]"
    (tmp_path / "shortdep_qa.jsonl").write_text(json.dumps({"title": "T", "input": "doc", "qa_pairs": pairs}) + "\n")
    (doc,) = load_loogle("shortdep", tmp_path)
    assert doc.questions[0].question == "Who's there?" and doc.questions[0].evidence == ["evidence one"]
    (tmp_path / "longdep_qa.jsonl").write_text(json.dumps({"title": "T", "input": "d", "qa_pairs": "[{'Q': 1"}))
    with pytest.raises(ValueError, match="line 1: qa_pairs is not a Python literal"):
        load_loogle("longdep", tmp_path)
    with pytest.raises(ValueError, match="expected 'shortdep' or 'longdep'"):
        load_loogle("cloze", tmp_path)


def test_chunk_document_windows_and_overlap(tiny_model_dir):
    from toolpast.models import load_tokenizer

    tok = load_tokenizer(tiny_model_dir)
    text = " ".join(f"word{i}" for i in range(300))
    n_tokens = len(tok(text, add_special_tokens=False)["input_ids"])
    chunks = chunk_document(text, tok, max_tokens=64, overlap=16)
    assert all(c in text for c in chunks) and chunks[0].startswith("word0") and chunks[-1].endswith("word299")
    assert all(len(tok(c, add_special_tokens=False)["input_ids"]) <= 64 + 2 for c in chunks)
    assert len(chunks) == -(-(n_tokens - 16) // 48)
    tail = tok.decode(tok(chunks[0], add_special_tokens=False)["input_ids"][-16:]).strip()
    assert chunks[1].strip().startswith(tail[:8])
    assert chunk_document(text, tok, max_tokens=10_000) == [text]
    with pytest.raises(ValueError, match="overlap < max_tokens"):
        chunk_document(text, tok, max_tokens=8, overlap=8)


class _WhitespaceTokenizer:
    """A slow-style tokenizer: no offsets, so chunks are decoded."""

    def __call__(self, text, add_special_tokens=False, return_offsets_mapping=False):
        if return_offsets_mapping:
            raise NotImplementedError("no offsets")
        return {"input_ids": text.split()}

    def decode(self, ids):
        return " ".join(ids)


def test_chunk_document_without_offsets():
    chunks = chunk_document("a b c d e f g", _WhitespaceTokenizer(), max_tokens=3, overlap=1)
    assert chunks == ["a b c", "c d e", "e f g"]
