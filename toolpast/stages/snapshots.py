"""Policies kept during GRPO so the stage can choose among them afterwards (`select.py`): the weights every N
optimizer steps and at the last one, each in `workdir/snapshots/step-NNNNN` (safetensors + tokenizer, the layout
of a stage model). Checkpoints are not reused for this: they carry the optimizer state (3x the model) and only
the newest survives.

A snapshot is written under a `.partial` name and renamed into place, so a kill never leaves a half-written one
behind; a resumed run writes again the snapshots of the steps it replays (the same weights, see `resume.py`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from transformers import TrainerCallback

from toolpast import distributed
from toolpast.stages.training import save_full_model

SNAPSHOTS = "snapshots"


def snapshot_dir(workdir: Path, step: int) -> Path:
    return Path(workdir) / SNAPSHOTS / f"step-{step:05d}"


def kept_steps(workdir: Path) -> list[int]:
    """The steps whose snapshot is complete, in order."""
    root = Path(workdir) / SNAPSHOTS
    if not root.is_dir():
        return []
    return sorted(int(p.name.split("-")[1]) for p in root.glob("step-*") if any(p.glob("*.safetensors")))


class SnapshotCallback(TrainerCallback):
    """Saves the policy every `every` steps and at the last step. Every rank must have it (the save gathers
    sharded weights: `save_full_model`); `grpo.run_grpo` makes it (GRPOJob.snapshot_every) and binds the trainer.
    Full fine-tuning only: merging LoRA adapters for a save would end their training (RLConfig refuses it)."""

    def __init__(self, every: int, workdir: Path, tokenizer):
        if every < 1:
            raise ValueError(f"snapshot interval must be >= 1 step, got {every}")
        self.every, self.workdir, self.tokenizer = every, Path(workdir), tokenizer
        self.trainer = None

    def bind(self, trainer) -> None:
        self.trainer = trainer

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if step % self.every and step != state.max_steps:
            return
        if self.trainer is None:
            raise RuntimeError("SnapshotCallback.bind(trainer) was not called before training")
        final = snapshot_dir(self.workdir, step)
        partial = final.with_name(f".{final.name}.partial")
        if distributed.is_main():
            shutil.rmtree(partial, ignore_errors=True)
        save_full_model(self.trainer.model, self.tokenizer, partial, self.trainer, f"the policy kept at step {step}")
        if distributed.is_main():
            if final.exists():  # a replayed step after a resume: the same weights again
                shutil.rmtree(final)
            os.replace(partial, final)
