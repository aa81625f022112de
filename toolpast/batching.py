"""How one optimizer step's sequences are split over devices and micro-batches (gradient accumulation).

A config's `batch_size` is the number of sequences per optimizer step, whatever the number of GPUs, so the same
preset means the same optimisation on 1 GPU and on 8. Each device takes batch / devices of them, in micro-batches
of at most `micro_batch_size` (the memory knob: activations scale with it), accumulated over
gradient_accumulation_steps = batch / (devices * micro_batch_size) passes before the optimizer steps.
The stages pass the result to TRL (per_device_train_batch_size, gradient_accumulation_steps), and the memory
plan (`toolpast.tooluse.memory_plan`) sizes activations from the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolpast.distributed import world_size


@dataclass(frozen=True)
class StepSplit:
    """One optimizer step of `batch` sequences on `devices` devices."""

    batch: int
    devices: int
    micro_batch: int  # sequences per device per forward/backward pass (TRL's per_device_train_batch_size)
    accumulation: int  # passes per optimizer step (TRL's gradient_accumulation_steps)


def split_step(batch: int, micro_batch_size: int, devices: int | None = None, what: str = "batch_size") -> StepSplit:
    """Split `batch` sequences over `devices` (default: this run's world size) in micro-batches.

    micro_batch_size 0 means the device's whole share in one pass (no accumulation), and so does a micro-batch
    larger than the share (e.g. 8 GPUs sharing 32 sequences with micro-batches of 8). Raises ValueError naming
    the numbers when they do not divide evenly (a silently smaller or larger step would change the recipe).
    """
    devices = world_size() if devices is None else devices
    if batch < 1 or devices < 1 or micro_batch_size < 0:
        raise ValueError(f"{what}={batch} over {devices} devices with micro-batches of {micro_batch_size}: "
                         "batch and devices must be >= 1, the micro-batch >= 0")
    if batch % devices:
        raise ValueError(f"{what}={batch} sequences per optimizer step do not split evenly over {devices} devices")
    share = batch // devices
    micro = min(micro_batch_size or share, share)
    if share % micro:
        raise ValueError(f"{what}={batch} over {devices} devices is {share} sequences per device, which "
                         f"micro_batch_size={micro} does not divide; use a divisor of {share}")
    return StepSplit(batch=batch, devices=devices, micro_batch=micro, accumulation=share // micro)


def step_batches(cfg) -> list[tuple[str, int, int]]:
    """(config path, sequences per optimizer step, micro_batch_size) of every training stage a RunConfig runs."""
    rows = []
    if cfg.warmup.enabled:
        rows.append(("warmup.batch_size", cfg.warmup.batch_size, cfg.warmup.micro_batch_size))
    rows.append(("sft.batch_size", cfg.sft.batch_size, cfg.sft.micro_batch_size))
    if cfg.sft.data == "docs+trajectories":
        t = cfg.sft.trajectories
        rows.append(("sft.trajectories.batch_size", t.batch_size, t.micro_batch_size))
    rl = cfg.rl
    rows.append(("rl.prompts_per_step x rl.num_generations", rl.prompts_per_step * rl.num_generations,
                 rl.micro_batch_size))
    return rows


def check_step_splits(cfg, devices: int | None = None) -> None:
    """Fail before any training when a stage's batch does not split over the devices and micro-batches."""
    for what, batch, micro in step_batches(cfg):
        split_step(batch, micro, devices, what)
