"""The one GRPO stage every suite composes: TRL's GRPOTrainer with the options that matter set by name, a live
progress view writing `train_log.jsonl`, exact resume from the newest checkpoint, the full model saved to
`model/`, the checkpoints dropped, and the reward curve read back from the log.

A suite brings only what differs (`GRPOJob`): its dataset rows, its reward functions, its own GRPOConfig options
(batching, completion length, advantage scaling) and, for multi-turn episodes, a `rollout_func`: the tool-use RL
(`tooluse/rl.py`) rolls out toolenv episodes and rewards the environment's grade; the QA RL (`qa/qa_rl.py`)
samples single answers and rewards the grader's verdict. A killed run resumes from its newest checkpoint and
replays what the uninterrupted run would have done, each step logged once (`resume.py`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolpast import distributed
from toolpast.config import GRPOSettings
from toolpast.models import load_model
from toolpast.rollout.vllm import shutdown_engines, shutdown_trainer_engine, trainer_engine_scope
from toolpast.stages.length_groups import grouped_token_logps
from toolpast.stages.resume import EpochSampler, checkpoint_step, truncate_log
from toolpast.stages.snapshots import SnapshotCallback
from toolpast.stages.training import common_trainer_args, latest_checkpoint, lora_config, save_stage_model
from toolpast.training_view import LiveTrainingCallback

# rollout_func is experimental in TRL; pyproject pins trl exactly for that reason, so the warning adds nothing.
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


@dataclass
class GRPOJob:
    """What one suite's GRPO run brings to the shared stage."""

    rows: list[dict]  # the dataset: a "prompt" column plus whatever the rollout or the reward reads
    reward_funcs: list  # TRL reward functions (one scalar per completion each)
    options: dict[str, Any]  # this suite's own GRPOConfig options
    logged: dict[str, str]  # progress columns: label shown -> key in the trainer's logs
    batch: int | None = None  # sequences per optimizer step for common_trainer_args (None: cfg.batch_size)
    rollout_func: Callable | None = None  # multi-turn episodes; None = TRL's own single-turn generation
    sample_log: Path | None = None  # the JSONL the rollout or reward appends, rows stamped with their draw step
    snapshot_every: int = 0  # keep the policy every N steps and at the last (snapshots.py); 0 = none


@dataclass
class GRPORun:
    """What the stage read back once training ended (main process only)."""

    resumed_from_step: int
    curve: list[dict] = field(default_factory=list)  # the train-log rows that carry a "reward", one per step


def _grpo_trainer_class(length_grouped: bool = False):
    """GRPOTrainer whose per-epoch task order survives a resume (`resume.EpochSampler`) and, with `length_grouped`,
    whose log-probability passes skip most of the padding (`length_groups.py`); imported lazily (TRL)."""
    from trl import GRPOTrainer
    from trl.extras.profiling import profiling_decorator

    class ResumableGRPOTrainer(GRPOTrainer):
        def _get_train_sampler(self, dataset=None):
            return EpochSampler(super()._get_train_sampler(dataset))

        @profiling_decorator  # as TRL's own, so its profiling logs keep this phase
        def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, logits_to_keep,
                                               batch_size=None, compute_entropy=False, compute_aux_loss=False,
                                               **extra):
            if not length_grouped or compute_aux_loss or any(value is not None for value in extra.values()):
                # images, token types or an MoE's aux loss: TRL's own pass, which knows how to slice them
                return super()._get_per_token_logps_and_entropies(
                    model, input_ids, attention_mask, logits_to_keep, batch_size=batch_size,
                    compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss, **extra)
            logps, entropies = grouped_token_logps(model, input_ids, attention_mask, logits_to_keep,
                                                   max_rows=batch_size, compute_entropy=compute_entropy,
                                                   autocast=self.accelerator.autocast)
            return logps, entropies, None

    return ResumableGRPOTrainer


def run_grpo(start_model: Path, tokenizer, job: GRPOJob, cfg: GRPOSettings, workdir: Path, seed: int, dtype: str,
             title: str, callbacks: tuple = ()) -> GRPORun | None:
    """GRPO from `start_model`; a rerun resumes from the newest checkpoint in workdir/checkpoints. Returns None on
    the ranks other than main (the stage's outputs are main's). `callbacks`: extra TrainerCallbacks. With vLLM,
    the engine runs in the evaluation engine's dtype (not vLLM's bf16 "auto") and the process is left as it was
    found (no process group the colocated engine set up): `trainer_engine_scope`."""
    with trainer_engine_scope(cfg.use_vllm, dtype):
        return _train(start_model, tokenizer, job, cfg, workdir, seed, dtype, title, callbacks)


def _train(start_model: Path, tokenizer, job: GRPOJob, cfg: GRPOSettings, workdir: Path, seed: int, dtype: str,
           title: str, callbacks: tuple) -> GRPORun | None:
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import GRPOConfig

    model = load_model(start_model, dtype=dtype)
    checkpoints = workdir / "checkpoints"
    if cfg.use_vllm:
        shutdown_engines()  # one vLLM engine per process: TRL's colocated one is next
    args = GRPOConfig(
        **common_trainer_args(cfg, checkpoints, seed, dtype, batch=job.batch),
        num_generations=cfg.num_generations, num_iterations=1, temperature=cfg.temperature, beta=cfg.beta,
        loss_type="dapo", mask_truncated_completions=False, shuffle_dataset=True, remove_unused_columns=False,
        log_completions=False, disable_dropout=True, use_vllm=cfg.use_vllm, vllm_mode="colocate",
        # vLLM samples with its own kernels: the loss reweights each token by policy / sampler probability,
        # truncated (TRL's token_truncate); the hf backend samples from the policy itself, nothing to correct
        vllm_importance_sampling_correction=cfg.use_vllm, vllm_importance_sampling_mode="token_truncate",
        top_p=1.0, top_k=0, **job.options,
    )
    log_path = workdir / "train_log.jsonl"
    # Several processes (toolpast.distributed): every rank trains and rolls out its share of each step's prompts
    # (TRL gathers the rewards for the group advantages); main alone shows progress and writes the logs, the
    # model and the cleanup.
    main = distributed.is_main()
    progress = [LiveTrainingCallback(title, log_path, keys=job.logged)] if main else []
    snapshots = [SnapshotCallback(job.snapshot_every, workdir, tokenizer)] if job.snapshot_every else []
    trainer_class = _grpo_trainer_class(cfg.length_grouped_passes)
    trainer = trainer_class(model=model, reward_funcs=job.reward_funcs, args=args,
                            train_dataset=Dataset.from_list(job.rows), processing_class=tokenizer,
                            peft_config=lora_config(cfg), rollout_func=job.rollout_func,
                            callbacks=[*progress, *snapshots, *callbacks])
    for snapshot in snapshots:
        snapshot.bind(trainer)
    trainer.remove_callback(PrinterCallback)
    resume = latest_checkpoint(checkpoints)
    resumed_from = checkpoint_step(resume)
    if main:
        # The steps after the checkpoint are replayed: drop what a killed run logged of them. A sample row
        # carries the step it was drawn at (before that step's update), a train-log row the step after its update.
        if job.sample_log is not None:
            truncate_log(job.sample_log, below=resumed_from)
        truncate_log(log_path, below=resumed_from + 1)
    trainer.train(resume_from_checkpoint=resume)
    shutdown_trainer_engine(trainer)  # K refinement rounds must not stack K colocated vLLM engines
    save_stage_model(trainer, tokenizer, workdir, title)
    if not main:
        return None
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    return GRPORun(resumed_from, [row for row in rows if "reward" in row])
