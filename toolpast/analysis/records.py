"""Typed records of the orthogonality analysis, written as `orthogonality.json`.

Every group keeps its raw sums (dot products and squared norms, accumulated in fp64), so any coarser group is
an exact re-aggregation of finer ones; the cosines and norms next to them are derived for reading.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolpast.file_record import FileRecord, toolpast_version, utc_now


def _cos(dot: float, sq_a: float, sq_b: float) -> float | None:
    """None when either update is exactly zero there: the angle is undefined, not 0."""
    return dot / math.sqrt(sq_a * sq_b) if sq_a > 0 and sq_b > 0 else None


def _rel(sq: float, sq_base: float) -> float | None:
    return math.sqrt(sq / sq_base) if sq_base > 0 else None


class Sums(BaseModel):
    """What one pass over a group of tensors accumulates; `+` merges groups."""

    model_config = ConfigDict(extra="forbid")

    numel: int = 0
    sq_base: float = 0.0  # ||base||^2
    sq_sft: float = 0.0  # ||dSFT||^2, dSFT = sft - base
    sq_rl: float = 0.0  # ||dRL||^2, dRL = rl - sft
    dot_sft_rl: float = 0.0  # <dSFT, dRL>
    sq_control: float | None = None  # ||dCtrl||^2, dCtrl = control_sft - base (None without a control)
    dot_sft_control: float | None = None  # <dSFT, dCtrl>

    def __add__(self, other: Sums) -> Sums:
        def opt(a: float | None, b: float | None) -> float | None:
            return None if a is None or b is None else a + b

        return Sums(
            numel=self.numel + other.numel,
            sq_base=self.sq_base + other.sq_base,
            sq_sft=self.sq_sft + other.sq_sft,
            sq_rl=self.sq_rl + other.sq_rl,
            dot_sft_rl=self.dot_sft_rl + other.dot_sft_rl,
            sq_control=opt(self.sq_control, other.sq_control),
            dot_sft_control=opt(self.dot_sft_control, other.dot_sft_control),
        )


class GroupStats(BaseModel):
    """Cosines and norms of the updates over a group of tensors (one tensor, a layer, a module type, all)."""

    model_config = ConfigDict(extra="forbid")

    sums: Sums
    cos_sft_rl: float | None
    cos_sft_control: float | None
    norm_sft: float
    norm_rl: float
    norm_control: float | None
    rel_norm_sft: float | None  # ||dSFT|| / ||base||
    rel_norm_rl: float | None
    rel_norm_control: float | None

    @classmethod
    def from_sums(cls, s: Sums) -> GroupStats:
        has_control = s.sq_control is not None and s.dot_sft_control is not None
        return cls(
            sums=s,
            cos_sft_rl=_cos(s.dot_sft_rl, s.sq_sft, s.sq_rl),
            cos_sft_control=_cos(s.dot_sft_control, s.sq_sft, s.sq_control) if has_control else None,
            norm_sft=math.sqrt(s.sq_sft),
            norm_rl=math.sqrt(s.sq_rl),
            norm_control=math.sqrt(s.sq_control) if has_control else None,
            rel_norm_sft=_rel(s.sq_sft, s.sq_base),
            rel_norm_rl=_rel(s.sq_rl, s.sq_base),
            rel_norm_control=_rel(s.sq_control, s.sq_base) if has_control else None,
        )


class TensorStats(GroupStats):
    layer: int | None  # decoder layer index; None for embeddings, the final norm, lm_head
    module: str
    shape: list[int]


class Cell(BaseModel):
    """One (module type, layer) cell of the heat map."""

    model_config = ConfigDict(extra="forbid")

    module: str
    layer: int | None
    stats: GroupStats


class OrthogonalityReport(FileRecord):
    """Layer-wise geometry of dSFT = sft - base vs dRL = rl - sft (and vs a control SFT's update)."""

    format: Literal["toolpast.orthogonality"] = "toolpast.orthogonality"
    format_version: int = 1
    base_dir: str
    sft_dir: str
    rl_dir: str
    control_sft_dir: str | None
    tied: dict[str, str]  # aliases left out because they are the input embedding (lm_head -> embed_tokens)
    skipped: list[str]  # non-float tensors (no direction to compare)
    layers: list[int]  # heat-map columns, then one "other" column for tensors outside the layers
    modules: list[str]  # heat-map rows
    overall: GroupStats
    per_module: dict[str, GroupStats]
    per_layer: dict[int, GroupStats]
    cells: list[Cell]
    per_tensor: dict[str, TensorStats]
    json_path: str
    png_path: str
    created_at: datetime = Field(default_factory=utc_now)
    toolpast_version: str = Field(default_factory=toolpast_version)
