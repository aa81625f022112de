"""SEAL's single-passage setting: per passage, a fresh LoRA on it (+ implications), its questions closed-book.

For every passage and every knowledge source, `PassageAdapter` trains a LoRA in memory on the passage's training
documents (one adapter per implication completion), answers the passage's questions, and, for the knowledge
sources PaST is asked for, adds lambda * v to the same merged weights and answers again; then the base weights
come back. Results are cached per passage in `$TOOLPAST_HOME/artifacts/qa_single/<key>/passages.jsonl`, rewritten
atomically after each passage: a killed run resumes at the next passage, and a run over more passages (or a
superset of the same 200) reuses every passage already done. The key hashes everything a passage's result
depends on except which passages are run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from toolpast.artifacts import stage_key
from toolpast.io import atomic_write_text
from toolpast.paths import artifacts_dir
from toolpast.progress import console, progress_bar
from toolpast.qa.answer import answer_questions, grade, passage_questions
from toolpast.qa.config import QARunConfig
from toolpast.qa.passage_sft import PassageAdapter
from toolpast.qa.records import Passage
from toolpast.qa.sequences import passage_sequences
from toolpast.vector_check import check_injection_kept


class PassageCache:
    """One JSON record per passage id, kept as a JSONL file that is replaced atomically on every write."""

    def __init__(self, directory: Path, spec: dict):
        self.path = directory / "passages.jsonl"
        directory.mkdir(parents=True, exist_ok=True)
        spec_file = directory / "spec.json"
        if not spec_file.is_file():
            atomic_write_text(spec_file, json.dumps(spec, indent=2, sort_keys=True, default=str) + "\n")
        self.records: dict[str, dict] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.records[row["key"]] = row

    def put(self, record: dict) -> None:
        self.records[record["key"]] = record
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records.values())
        atomic_write_text(self.path, body)


def passage_key(index: int, passage: Passage) -> str:
    """The passage's position in SEAL's order plus a hash of its content (so a changed data file never matches)."""
    body = json.dumps([passage.title, passage.context, [[q.question, q.answer] for q in passage.questions],
                       passage.implications], sort_keys=True)
    return f"{index}:{hashlib.sha256(body.encode()).hexdigest()[:12]}"


def completions_for(knowledge: str, cfg: QARunConfig) -> int:
    return 1 if knowledge == "passage" else cfg.passage_sft.completions


def squad_texts(cfg: QARunConfig):
    """SEAL's training documents of a passage for a knowledge source and completion index."""
    return lambda passage, knowledge, c: passage_sequences(passage, knowledge, c, cfg.passage_sft.max_sequences)


def run_single_passage(cfg: QARunConfig, adapter: PassageAdapter, indexed: list[tuple[int, Passage]], grader,
                       spec: dict, vector=None, texts_for=None,
                       description: str = "single-passage SFT + eval") -> dict[str, dict[str, list[bool]]]:
    """label ("sft:<knowledge>" / "past:<knowledge>") -> passage id -> verdicts (questions x completions).

    `texts_for(passage, knowledge, completion)` gives the training documents (default: SEAL's, `squad_texts`);
    `vector` is `(tensors, tied aliases)` from `passage_sft.load_vector` when PaST variants are asked for.
    """
    texts_for = texts_for or squad_texts(cfg)
    cache = PassageCache(artifacts_dir() / "qa_single" / stage_key("qa_single", spec), spec)
    trained = list(dict.fromkeys([*cfg.knowledge, *cfg.past]))
    results: dict[str, dict[str, list[bool]]] = {}
    todo = [(i, p) for i, p in indexed if passage_key(i, p) not in cache.records]
    console.print(f"{description}: {len(indexed) - len(todo)} of {len(indexed)} passages cached in {cache.path}",
                  soft_wrap=True)
    with progress_bar(description, len(todo)) as advance:
        for index, passage in todo:
            cache.put(_one_passage(cfg, adapter, index, passage, trained, grader, vector, texts_for))
            advance()
    for index, passage in indexed:
        record = cache.records[passage_key(index, passage)]
        for label, verdicts in record["verdicts"].items():
            results.setdefault(label, {})[str(index)] = verdicts
    return results


def _one_passage(cfg: QARunConfig, adapter: PassageAdapter, index: int, passage: Passage, trained: list[str],
                 grader, vector, texts_for) -> dict:
    questions = passage_questions([passage], [str(index)])
    verdicts: dict[str, list[bool]] = {}
    predictions: dict[str, list[str]] = {}
    train: dict[str, list[dict]] = {}
    for knowledge in trained:
        for c in range(completions_for(knowledge, cfg)):
            texts = texts_for(passage, knowledge, c)
            seed = cfg.seed * 1_000_003 + index * 101 + c
            with adapter.adapted(texts, cfg.passage_sft, seed) as stats:
                runs = [("sft", None)] if knowledge in cfg.knowledge else []
                if knowledge in cfg.past:
                    runs.append(("past", vector))
                for name, vec in runs:
                    if vec is not None:
                        stats["surviving_fraction"] = adapter.add_vector(vec[0], vec[1], cfg.lam)
                        check_injection_kept(stats["surviving_fraction"], cfg.min_vector_kept, f"passage {index}")
                    answers = answer_questions(adapter.model, adapter.tokenizer, questions, cfg.answer)
                    label = f"{name}:{knowledge}"
                    verdicts.setdefault(label, []).extend(grade(grader, questions, answers))
                    predictions.setdefault(label, []).extend(answers)
            train.setdefault(knowledge, []).append({"sequences": len(texts), **stats})
    return {"key": passage_key(index, passage), "index": index, "title": passage.title, "verdicts": verdicts,
            "predictions": predictions, "train": train}
