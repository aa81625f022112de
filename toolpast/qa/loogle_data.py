"""LooGLE's long-document QA (short- and long-dependency), and the chunking that turns a document into SFT text.

Each JSONL record is one document (`input`, ~24k tokens) with `title` and `qa_pairs`, a *Python literal* string
(single quotes; parsed with `ast.literal_eval`, never `eval`) of dicts: `Q`, `A`, `S` (evidence: a string for
short-dependency, a list for long-dependency) and, for long-dependency, `type`. Files are read from
`../shared/data/loogle` next to the checkout, or `$TOOLPAST_LOOGLE_DIR`.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Literal

from toolpast.paths import repo_root
from toolpast.qa.records import Passage, QAPair

LoogleKind = Literal["shortdep", "longdep"]


def default_loogle_dir() -> Path:
    """`$TOOLPAST_LOOGLE_DIR`, else `../shared/data/loogle` relative to the checkout."""
    env = os.environ.get("TOOLPAST_LOOGLE_DIR")
    return Path(env) if env else repo_root().parent / "shared" / "data" / "loogle"


def _qa_pairs(value, where: str) -> list[QAPair]:
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError) as err:
            raise ValueError(f"{where}: qa_pairs is not a Python literal: {err}") from err
    if not isinstance(value, list):
        raise ValueError(f"{where}: qa_pairs must be a list of {{'Q', 'A', ...}} dicts")
    pairs = []
    for j, qa in enumerate(value):
        if not isinstance(qa, dict) or not isinstance(qa.get("Q"), str) or not isinstance(qa.get("A"), str):
            raise ValueError(f"{where}: qa_pairs[{j}] needs string 'Q' and 'A'")
        evidence = qa.get("S") or []
        evidence = [evidence] if isinstance(evidence, str) else [str(s) for s in evidence]
        pairs.append(QAPair(question=qa["Q"], answer=qa["A"], evidence=evidence, kind=qa.get("type")))
    return pairs


def load_loogle(kind: LoogleKind, data_dir: Path | str | None = None) -> list[Passage]:
    """The documents of `{kind}_qa.jsonl`, each a Passage whose questions are its QA pairs."""
    if kind not in ("shortdep", "longdep"):
        raise ValueError(f"kind={kind!r}: expected 'shortdep' or 'longdep'")
    path = Path(data_dir or default_loogle_dir()) / f"{kind}_qa.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (LooGLE data: set $TOOLPAST_LOOGLE_DIR or pass data_dir)")
    docs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {n}"
        try:
            record = json.loads(line)
            title, context = record["title"], record["input"]
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{where}: expected a JSON object with title, input, qa_pairs: {err!r}") from err
        docs.append(Passage(title=title, context=context, questions=_qa_pairs(record.get("qa_pairs"), where)))
    return docs


def chunk_document(text: str, tokenizer, max_tokens: int, overlap: int = 0) -> list[str]:
    """Windows of at most `max_tokens` tokens, consecutive windows sharing `overlap` tokens, as exact substrings
    of `text` (cut at token offsets where the tokenizer gives them, else decoded)."""
    if max_tokens <= 0 or not 0 <= overlap < max_tokens:
        raise ValueError(f"need max_tokens > 0 and 0 <= overlap < max_tokens, got {max_tokens}, {overlap}")
    if not text:
        return []
    try:
        enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        offsets = enc["offset_mapping"]
    except (NotImplementedError, KeyError, TypeError, ValueError):
        enc, offsets = tokenizer(text, add_special_tokens=False), None
    ids = enc["input_ids"]
    step, chunks = max_tokens - overlap, []
    for start in range(0, len(ids), step):
        end = min(start + max_tokens, len(ids))
        if offsets is not None:
            chunks.append(text[offsets[start][0]:offsets[end - 1][1]])
        else:
            chunks.append(tokenizer.decode(ids[start:end]))
        if end == len(ids):
            break
    return chunks
