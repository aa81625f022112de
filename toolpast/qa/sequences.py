"""The training documents SFT sees for one passage, built the way SEAL's inner loop builds them.

SEAL (knowledge-incorporation `src/utils.py::build_train_sequences`, paper appendix B.3): a completion written with
the implication prompt is cut after an `Implications:` marker if it repeats one, split on `---` into segments and,
in the single-passage case, into lines; when the second line starts with "1." the first line is filler ("Sure,
here is the list...") and is dropped; at most 30 pieces are kept; every piece is prefixed with the title
(`"{title}\\n{text}"`), and the passage itself comes last as one more document. In the multi-passage (CPT) case a
completion is not split into lines. "passage" knowledge is just the last document. (SEAL's self-QA branch, for
its "rewrite as questions" prompt, is not reproduced: no knowledge source here uses that prompt.)
"""

from __future__ import annotations

import re

from toolpast.qa.records import Passage

TRAINING_SEQUENCE = "{title}\n{text}"
_IMPLICATIONS_MARKER = re.compile(r"\nImplications:\s*")


def knowledge_writer(knowledge: str) -> str | None:
    """'passage' -> None; 'passage+implications:gpt41' -> 'gpt41'; anything else is an error naming the forms."""
    if knowledge == "passage":
        return None
    prefix = "passage+implications:"
    if knowledge.startswith(prefix) and knowledge[len(prefix):]:
        return knowledge[len(prefix):]
    raise ValueError(f"unknown knowledge source {knowledge!r}: expected 'passage' or 'passage+implications:WRITER'")


def completion_pieces(completion: str, max_pieces: int = 30, split_newlines: bool = True) -> list[str]:
    """The training texts SEAL cuts from one implication completion (without the title prefix)."""
    marker = _IMPLICATIONS_MARKER.search(completion)
    if marker:
        completion = completion[marker.end():].lstrip()
    pieces = [seg.strip() for seg in completion.split("---") if seg.strip()] or [completion.strip()]
    if split_newlines:
        pieces = [line.strip() for piece in pieces for line in piece.splitlines() if line.strip()]
        if len(pieces) > 1 and pieces[1].startswith("1."):
            pieces = pieces[1:]
    return [p for p in pieces[:max_pieces] if p.strip()]


def passage_sequences(passage: Passage, knowledge: str, completion: int = 0, max_pieces: int = 30,
                      split_newlines: bool = True) -> list[str]:
    """Training documents of `passage` for `knowledge`, using its `completion`-th implication completion."""
    writer = knowledge_writer(knowledge)
    pieces: list[str] = []
    if writer is not None:
        written = passage.implications.get(writer)
        if not written:
            have = sorted(passage.implications) or "none"
            raise ValueError(f"passage {passage.title!r} has no implications by {writer!r} (it has: {have})")
        if completion >= len(written):
            raise ValueError(f"passage {passage.title!r} has {len(written)} {writer!r} completions; "
                             f"completion {completion} asked for")
        pieces = completion_pieces(written[completion], max_pieces, split_newlines)
    docs = [TRAINING_SEQUENCE.format(title=passage.title, text=p) for p in pieces]
    docs.append(TRAINING_SEQUENCE.format(title=passage.title, text=passage.context.strip()))
    return docs
