"""SQuAD under SEAL's protocol: the flattened dev set, SEAL's 200-passage evaluation set, and source passages.

SEAL's evaluation set is `squad_val.json` shuffled with `random.seed(42); random.shuffle(raw)` and cut to the
first 200 (`knowledge-incorporation/src/data_generation/make_squad_data.py`): 200 passages, 974 questions. It is
rebuilt here from `squad_val.json` and checked passage by passage against SEAL's two implication files (written
by Qwen2.5-7B and by GPT-4.1), whose completions are attached; any difference raises, naming the first passage
that differs. Files are read from `../shared/data/squad` next to the checkout, or `$TOOLPAST_SQUAD_DIR`.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from toolpast.paths import repo_root
from toolpast.qa.records import Passage, QAPair

SQUAD_VAL = "squad_val.json"
IMPLICATION_FILES = {"qwen": "seal_eval200_qwen_implications.json", "gpt41": "seal_eval200_gpt41_implications.json"}
SEAL_SEED, SEAL_N = 42, 200


def default_squad_dir() -> Path:
    """`$TOOLPAST_SQUAD_DIR`, else `../shared/data/squad` relative to the checkout."""
    env = os.environ.get("TOOLPAST_SQUAD_DIR")
    return Path(env) if env else repo_root().parent / "shared" / "data" / "squad"


def _read_json(path: Path):
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (SQuAD data: set $TOOLPAST_SQUAD_DIR or pass data_dir)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err


def _passage(item: dict, where: str) -> Passage:
    try:
        return Passage(title=item["title"], context=item["context"],
                       questions=[QAPair(question=q["question"], answer=q["answer"]) for q in item["questions"]])
    except (KeyError, TypeError) as err:
        raise ValueError(f"{where}: expected title, context and questions[{{question, answer}}]: {err!r}") from err


def _raw(path: Path) -> list[dict]:
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of passages, got {type(raw).__name__}")
    return raw


def load_squad_val(path: Path | str | None = None) -> list[Passage]:
    """SEAL's flattened SQuAD v1.1 dev set (2,067 passages, 10,570 questions), in file order."""
    path = Path(path) if path else default_squad_dir() / SQUAD_VAL
    return [_passage(item, f"{path} passage {i}") for i, item in enumerate(_raw(path))]


def _seal_order(passages: list[Passage]) -> list[Passage]:
    shuffled = list(passages)
    random.Random(SEAL_SEED).shuffle(shuffled)  # the same Mersenne Twister draws as random.seed(42); shuffle
    return shuffled


def seal_eval_passages(data_dir: Path | str | None = None) -> list[Passage]:
    """SEAL's 200 evaluation passages in SEAL's order, with implications under "qwen" and "gpt41"."""
    data_dir = Path(data_dir) if data_dir else default_squad_dir()
    chosen = _seal_order(load_squad_val(data_dir / SQUAD_VAL))[:SEAL_N]
    for writer, name in IMPLICATION_FILES.items():
        path = data_dir / name
        raw = _raw(path)
        if len(raw) != len(chosen):
            raise ValueError(f"{path}: {len(raw)} passages, but SEAL's evaluation set has {len(chosen)}")
        for i, (mine, theirs) in enumerate(zip(chosen, raw)):
            other = _passage(theirs, f"{path} passage {i}")
            if (mine.title, mine.context, mine.questions) != (other.title, other.context, other.questions):
                raise ValueError(f"{path} passage {i} ({other.title!r}) differs from passage {i} of squad_val.json "
                                 f"shuffled with seed {SEAL_SEED} ({mine.title!r}): not SEAL's evaluation set")
            completions = theirs.get("completions")
            if not isinstance(completions, list) or not all(isinstance(c, str) for c in completions):
                raise ValueError(f"{path} passage {i}: 'completions' must be a list of strings")
            mine.implications[writer] = list(completions)
    return chosen


def source_passages(data_dir: Path | str | None = None, n: int | None = 200, seed: int = 0,
                    exclude_eval_titles: bool = False) -> list[Passage]:
    """Passages of squad_val that are not among SEAL's 200 (PaST's source domain), shuffled with `seed`.

    Disjoint by passage. SQuAD's dev set has 48 articles and the 200 cover 47 of them, so other passages of the
    same articles stay in unless `exclude_eval_titles` (then 26 passages remain). `n=None` returns all of them.
    """
    data_dir = Path(data_dir) if data_dir else default_squad_dir()
    ordered = _seal_order(load_squad_val(data_dir / SQUAD_VAL))
    held = ordered[:SEAL_N]
    contexts, titles = {p.context for p in held}, {p.title for p in held}
    rest = [p for p in ordered[SEAL_N:]
            if p.context not in contexts and not (exclude_eval_titles and p.title in titles)]
    rest.sort(key=lambda p: (p.title, p.context))  # independent of SEAL's shuffle
    random.Random(seed).shuffle(rest)
    if n is not None and not 0 < n <= len(rest):
        raise ValueError(f"n={n}: there are {len(rest)} source passages (use 1..{len(rest)} or None for all)")
    return rest if n is None else rest[:n]
