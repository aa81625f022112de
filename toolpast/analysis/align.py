"""Line up the tensors of several checkpoints of one architecture (base, sft, rl, control) from headers only.

Comparing updates tensor by tensor only means something if every checkpoint has the same tensors with the
same shapes; the first disagreement is raised as SkillVectorMismatch (naming the tensor and each side's
shape) before any data is read. A tied `lm_head.weight` is the input embedding under a second name, so it is
left out rather than counted twice: where the config ties them (or HF omitted it), and also where a config
that does not say so stores an `lm_head.weight` equal to the embedding in every checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from toolpast.vectors.checkpoint import Checkpoint
from toolpast.vectors.errors import SkillVectorMismatch
from toolpast.vectors.tied import INPUT_EMBEDDING_SUFFIXES, OUTPUT_EMBEDDING, tied_aliases


@dataclass(frozen=True)
class Alignment:
    names: list[str]  # float tensors present in every checkpoint, in the reference's file order
    skipped: list[str]  # non-float tensors
    tied: dict[str, str]  # alias -> input embedding, for every checkpoint that ties them


def align_checkpoints(ckpts: dict[str, Checkpoint]) -> Alignment:
    """`ckpts` maps a label ("base", "sft", ...) to a checkpoint; the first one is the reference."""
    labels = list(ckpts)
    ref_label, ref = labels[0], ckpts[labels[0]]
    tied = {label: tied_aliases(c) for label, c in ckpts.items()}
    own = {label: [n for n in c.names if n not in tied[label]] for label, c in ckpts.items()}

    def note(name: str, label: str) -> str:
        tying = [lab for lab in (ref_label, label) if name in tied[lab]]
        return f"tied to the input embedding in {tying[0]} only" if len(tying) == 1 else ""

    ref_names = own[ref_label]
    for label in labels[1:]:
        other, other_names = ckpts[label], set(own[label])
        for n in ref_names:
            if n not in other_names:
                raise SkillVectorMismatch(n, {ref_label: ref.info(n).shape, label: None}, note(n, label))
            a, b = ref.info(n), other.info(n)
            if a.shape != b.shape:
                raise SkillVectorMismatch(n, {ref_label: a.shape, label: b.shape})
            if a.is_floating != b.is_floating:
                raise SkillVectorMismatch(n, {ref_label: a.shape, label: b.shape}, f"dtype {a.dtype} vs {b.dtype}")
        ref_set = set(ref_names)
        for n in own[label]:
            if n not in ref_set:
                raise SkillVectorMismatch(n, {ref_label: None, label: other.info(n).shape}, note(n, label))
    merged = {alias: target for t in tied.values() for alias, target in t.items()}
    merged |= tied_by_value(ckpts, ref_names)
    return Alignment(
        names=[n for n in ref_names if ref.info(n).is_floating and n not in merged],
        skipped=[n for n in ref_names if not ref.info(n).is_floating],
        tied=merged,
    )


def tied_by_value(ckpts: dict[str, Checkpoint], names: list[str]) -> dict[str, str]:
    """`{"lm_head.weight": embedding}` if every checkpoint stores an lm_head equal to its input embedding."""
    embeds = [n for n in names if n.endswith(INPUT_EMBEDDING_SUFFIXES)]
    if OUTPUT_EMBEDDING not in names or len(embeds) != 1:
        return {}
    for c in ckpts.values():
        if c.info(OUTPUT_EMBEDDING).shape != c.info(embeds[0]).shape:
            return {}
        if not torch.equal(c.get(OUTPUT_EMBEDDING), c.get(embeds[0])):
            return {}
    return {OUTPUT_EMBEDDING: embeds[0]}
