"""Regenerate toolpast/models/tiny_corpus.json: the text the `tiny-random` model's BPE tokenizer is trained on.

The corpus is every native category's API docs plus the first 20 passages of its knowledge corpus, and the ReAct
protocol's vocabulary, so tool names tokenise sensibly. It is committed as data rather than built from toolenv at
model-build time so that toolpast.models reaches no suite (editing a toolenv category must not change the QA
suites' stage keys); the tiny model is only as stable as this file, so regenerate it only on purpose:

    .venv/bin/python scripts/tiny_corpus.py            # rewrite the file
    .venv/bin/python scripts/tiny_corpus.py --check    # exit 1 when toolenv's text has drifted from the file
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import toolenv
from toolpast.io import atomic_write_text
from toolpast.models.tiny import CORPUS_FILE

PROTOCOL = "Thought: Action: Action Input: Observation: Finish give_answer final_answer give_up_and_restart"


def corpus() -> list[str]:
    texts = [PROTOCOL]
    for slug in toolenv.list_categories():
        category = toolenv.get_category(slug, seed=0)
        texts.append(category.docs_text())
        texts.extend(category.knowledge_corpus()[:20])
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Compare instead of writing.")
    args = parser.parse_args()
    text = json.dumps(corpus(), indent=0, ensure_ascii=False) + "\n"
    if args.check:
        same = Path(CORPUS_FILE).read_text(encoding="utf-8") == text
        print("tiny corpus: " + ("matches toolenv" if same else "differs from toolenv's text (see --help)"))
        return 0 if same else 1
    atomic_write_text(Path(CORPUS_FILE), text)
    print(f"wrote {CORPUS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
