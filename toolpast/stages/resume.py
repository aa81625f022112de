"""Exact resume of a killed training stage: what a transformers checkpoint does not bring back by itself.

A checkpoint holds the weights, the optimizer and scheduler, the RNG states (`rng_state.pth`: python, numpy,
torch) and `trainer_state.json` (global step, `log_history`, `num_input_tokens_seen`); on resume the Trainer
skips the batches already trained in the current epoch and restores the RNGs, so the next step samples as the
uninterrupted run would. Three things are still lost, and this module puts them back:
- TRL's GRPO sampler (`RepeatSampler`) draws each epoch's task order from one generator seeded once, and the
  Trainer does not replay the skipped epochs: resumed in epoch e it deals epoch 0's order. `EpochSampler` deals
  epoch e the (e+1)-th permutation of a generator seeded with the seed, the order an uninterrupted run deals.
  (SFT needs nothing: accelerate's `SeedableRandomSampler` already seeds each epoch with seed + epoch.)
- our JSONL logs are appended to, so the steps replayed after the checkpoint would be logged twice (and a kill
  can tear the last line): `truncate_log` cuts them back to the checkpoint before the run resumes.
- what one `train()` call sums counts only the steps after the resume (`TrainOutput.training_loss`, TRL SFT's
  `num_tokens` counter): `whole_run_loss` reads the loss of every step from `log_history`, and
  `carry_token_count` restarts TRL's counter where the checkpoint left it.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch.utils.data import Sampler

from toolpast.io import atomic_write_text


def checkpoint_step(checkpoint: str | None) -> int:
    """The global step a `checkpoint-N` directory was saved at (0 without a checkpoint: a fresh start)."""
    return int(Path(checkpoint).name.rsplit("-", 1)[1]) if checkpoint else 0


def truncate_log(path: Path, below: int) -> None:
    """Keep the JSONL rows whose "step" is below `below` (and drop a line torn by a kill), atomically."""
    path = Path(path)
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] < below:
            kept.append(line + "\n")
    atomic_write_text(path, "".join(kept))


def whole_run_loss(log_history: list[dict]) -> float:
    """The mean training loss over every step of the run, resumed sessions included: each logged "loss" is the
    mean over the steps since the previous log, so it is weighted by that gap (with one log per step this sums
    in the Trainer's own order, so an uninterrupted run gets its `training_loss` back bit for bit)."""
    total, last = 0.0, 0
    for entry in log_history:
        if "loss" in entry:
            total += entry["loss"] * (entry["step"] - last)
            last = entry["step"]
    if last == 0:
        raise ValueError("no training loss was logged: log_history has no 'loss' entry")
    return total / last


def logged_tokens(log_history: list[dict]) -> int:
    """The last `num_tokens` TRL logged (a running total over the run once `carry_token_count` has run)."""
    for entry in reversed(log_history):
        if "num_tokens" in entry:
            return int(entry["num_tokens"])
    raise ValueError("no num_tokens was logged: log_history has no 'num_tokens' entry")


def carry_token_count(trainer, checkpoint: str | None) -> None:
    """Start TRL SFT's token counter (which every trainer starts at 0) at the checkpoint's logged total, so
    `num_tokens` in the logs and the manifest counts the whole run, not the steps since the resume."""
    if checkpoint is None:
        return
    if not hasattr(trainer, "_total_train_tokens"):
        raise RuntimeError(f"{type(trainer).__name__} has no _total_train_tokens counter: TRL changed, update "
                           "toolpast.stages.resume.carry_token_count")
    history = json.loads((Path(checkpoint) / "trainer_state.json").read_text())["log_history"]
    if any("num_tokens" in entry for entry in history):
        trainer._total_train_tokens = logged_tokens(history)


class EpochSampler(Sampler):
    """Wraps TRL's `RepeatSampler` so that epoch e's order depends on (seed, e) only, not on how many epochs
    this process has iterated; the Trainer tells it the epoch through `set_epoch` (via accelerate's loader)."""

    def __init__(self, sampler):
        if sampler.shuffle and sampler.seed is None:
            raise ValueError("EpochSampler needs a seeded sampler: an unseeded order cannot be replayed on resume")
        self.sampler, self.epoch = sampler, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        if self.sampler.shuffle:  # RepeatSampler draws one randperm per pass: replay the passes before this one
            generator = torch.Generator().manual_seed(self.sampler.seed)
            for _ in range(self.epoch):
                torch.randperm(self.sampler.num_samples, generator=generator)
            self.sampler.generator = generator
        return iter(self.sampler)
