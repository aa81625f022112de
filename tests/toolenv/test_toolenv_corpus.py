"""The knowledge corpus teaches the API surface only: no task text, no world records."""

import re

import pytest

import toolenv

ALL = toolenv.list_categories()


@pytest.mark.parametrize("slug", ALL)
def test_corpus_covers_every_function_in_several_forms(slug):
    cat = toolenv.get_category(slug)
    corpus = cat.knowledge_corpus()
    text = "\n".join(corpus)
    for name in cat.functions:
        docs = [d for d in corpus if name in d]
        assert len(docs) >= 5, name
    assert "Q: " in text and "Action Input:" in text and '"required_parameters"' in text
    assert corpus == toolenv.get_category(slug, seed=5).knowledge_corpus()  # API surface only


SFT_TEXTS = {"corpus": lambda cat: cat.knowledge_corpus(),
             "doc_pairs": lambda cat: [m["content"] for chat in cat.doc_pairs() for m in chat]}


@pytest.mark.parametrize("source", sorted(SFT_TEXTS))
@pytest.mark.parametrize("slug", ALL)
def test_sft_texts_contain_no_task_queries_answers_or_records(slug, source):
    """Neither SFT form of the docs (stage 1 of either protocol) may leak tasks or world records."""
    cat = toolenv.get_category(slug)
    text = "\n".join(SFT_TEXTS[source](cat)).lower()
    for split in ("train", "test"):
        for task in cat.tasks(split):
            assert task.query.lower() not in text
            assert task.gold_answer.lower() not in text
        for table in cat.world(split).tables.values():
            for row in table.rows:
                assert str(row[table.key]).lower() not in text
                name = row.get(table.spec.name_field) if table.spec.names else None
                if name and len(str(name)) > 6 and not re.fullmatch(r"[A-Za-z]+", str(name)):
                    assert str(name).lower() not in text, name
