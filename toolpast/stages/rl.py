"""GRPO on source-category tasks with TRL's GRPOTrainer and a multi-turn rollout over toolenv episodes.

TRL's `environment_factory` shows the tools' schemas to the model in its prompt, which would make RL
open-book; PaST's setting is closed-book (API knowledge must come from the weights). So we plug our own
multi-turn loop in as `rollout_func`: the closed-book ReAct episode runs turn by turn on the policy, the
environment's observations are masked out of the loss (`env_mask`), and the grader's reward comes back as an
extra field that the reward function reads: toolenv's shaped reward, or with `reward_scheme="prototype"` the first
author's per-turn ToolBench reward summed over the episode (`toolenv.prototype_reward`). TRL 1.16's GRPOTrainer
takes one scalar per completion (reward functions return a list of floats; advantages are per sequence), so the
turns cannot be credited separately; the sum is also exactly what verl's GRPO, which the prototype trains with,
makes of its token-level rewards. Writes `model/`, `train_log.jsonl` (reward, success, lengths, KL when beta > 0
per step) and `rollouts.jsonl` (every episode's actions, reward and success, and its turn rewards under the
prototype scheme). A killed run resumes from its newest checkpoint and replays what the uninterrupted run would
have done, each step logged once (`resume.py`; `tests/toolpast/stages/test_stage_resume.py`).
"""

from __future__ import annotations

import json
import math
import os
from contextlib import contextmanager
from pathlib import Path

import toolenv
from toolpast import distributed
from toolpast.batching import split_step
from toolpast.config import RLConfig
from toolpast.models import load_model, load_tokenizer
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator
from toolpast.rollout.vllm import shutdown_engines, shutdown_trainer_engine
from toolpast.stages.resume import EpochSampler, checkpoint_step, truncate_log
from toolpast.stages.training import (common_trainer_args, drop_checkpoints, latest_checkpoint, lora_config,
                                      save_full_model)
from toolpast.training_view import LiveTrainingCallback

# rollout_func is experimental in TRL; pyproject pins trl exactly for that reason, so the warning adds nothing.
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
LOGGED = {"reward": "reward", "reward sd": "reward_std", "success": "rewards/env_success/mean",
          "kl": "kl", "tokens": "completions/mean_length", "step s": "step_time"}


def _prompt_key(messages) -> str:
    return json.dumps(messages, sort_keys=True)


class EpisodeRollout:
    """TRL `rollout_func`: one closed-book episode per prompt it is handed (TRL already repeats each prompt
    num_generations times), returning token ids, the env mask and the grader's results (`env_reward` under
    `cfg.reward_scheme`: one scalar per episode, the prototype's turn rewards summed)."""

    def __init__(self, tasks: list, tokenizer, cfg: RLConfig, log_path: Path | None = None):
        # Sampling draws from torch's global RNG, which the Trainer seeds and restores on resume.
        self.cfg, self.tokenizer, self.log_path = cfg, tokenizer, log_path
        self.chat = ChatTokens(tokenizer)
        self.limits = toolenv.EpisodeLimits(max_steps=cfg.max_turns)
        self.weights = cfg.reward
        self.task_by_prompt = {}
        self.rows = []
        for task in tasks:
            prompt = toolenv.Episode(task, book="closed", limits=self.limits).reset()
            self.task_by_prompt.setdefault(_prompt_key(prompt), task)
            self.rows.append({"prompt": prompt, "task_id": task.id})

    @contextmanager
    def _generator(self, trainer):
        """vLLM when TRL owns an engine (weights synced by TRL), else HF generate on the unwrapped policy
        (gathers ZeRO-3 shards under DeepSpeed)."""
        if getattr(trainer, "use_vllm", False):
            from toolpast.rollout.vllm import colocated

            with colocated(trainer.vllm_generation, self.chat.eos_id, self.cfg.temperature) as generator:
                yield generator
            return
        from trl.models.utils import unwrap_model_for_generation

        with unwrap_model_for_generation(trainer.model_wrapped, trainer.accelerator) as policy:
            yield HFGenerator(policy, self.tokenizer, batch_size=64, temperature=self.cfg.temperature,
                              bf16_autocast=self.cfg.bf16_autocast)

    def __call__(self, prompts: list, trainer) -> dict:
        episodes = [toolenv.Episode(self.task_by_prompt[_prompt_key(p)], book="closed", limits=self.limits)
                    for p in prompts]
        with self._generator(trainer) as generator:
            records = run_episodes(episodes, generator, self.chat, self.cfg.max_turns, self.cfg.max_new_tokens)
        grades = [r.episode.grade() for r in records]
        trajectories = [r.episode.trajectory for r in records]
        turn_rewards = None
        if self.cfg.reward_scheme == "prototype":
            turn_rewards = [toolenv.prototype_turn_rewards(t, g) for t, g in zip(trajectories, grades)]
            rewards = [math.fsum(turns) for turns in turn_rewards]  # = toolenv.prototype_reward, turns scored once
        else:
            rewards = [g.reward(self.weights) for g in grades]
        if self.log_path is not None:  # every rollout, for reading what the policy actually does
            rows = []
            for i, (record, grade) in enumerate(zip(records, grades)):
                row = {"step": trainer.state.global_step, "task_id": record.episode.task.id,
                       "reward": rewards[i], "success": grade.success,
                       "turns": [s.action for s in trajectories[i].steps]}
                if turn_rewards is not None:
                    row["turn_rewards"] = turn_rewards[i]
                rows.append(row)
            # every rank rolls out its share of the prompts; main writes them all, in rank order
            gathered = distributed.gather(rows)
            if distributed.is_main():
                with open(self.log_path, "a", encoding="utf-8") as handle:
                    handle.writelines(json.dumps(row) + "\n" for part in gathered for row in part)
        return {
            "prompt_ids": [r.prompt_ids for r in records],
            "completion_ids": [r.completion_ids for r in records],
            "logprobs": None,
            "env_mask": [r.completion_mask for r in records],
            "env_reward": rewards,
            "env_success": [float(g.success) for g in grades],
        }


def env_reward(completions, env_reward, **kwargs) -> list[float]:
    """The episode's reward under the configured scheme, computed inside the rollout."""
    return list(env_reward)


def env_success(completions, env_success, **kwargs) -> list[float]:
    """Task success (weight 0: logged as rewards/env_success/mean, not optimised directly)."""
    return list(env_success)


def _grpo_trainer_class():
    """GRPOTrainer whose per-epoch task order survives a resume (`resume.EpochSampler`); imported lazily (TRL)."""
    from trl import GRPOTrainer

    class ResumableGRPOTrainer(GRPOTrainer):
        def _get_train_sampler(self, dataset=None):
            return EpochSampler(super()._get_train_sampler(dataset))

    return ResumableGRPOTrainer


def run_rl(start_model: Path, tasks: list, cfg: RLConfig, workdir: Path, seed: int, dtype: str,
           title: str = "rl", callbacks: tuple = ()) -> dict:
    """GRPO from `start_model`; a rerun resumes from the newest checkpoint in workdir/checkpoints and, on the HF
    backend, reproduces the uninterrupted run (same tasks, samples, weights and logs). `callbacks`: extra
    TrainerCallbacks."""
    from datasets import Dataset
    from transformers import PrinterCallback
    from trl import GRPOConfig

    tokenizer = load_tokenizer(start_model)
    model = load_model(start_model, dtype=dtype)
    rollout = EpisodeRollout(tasks, tokenizer, cfg, log_path=workdir / "rollouts.jsonl")
    checkpoints = workdir / "checkpoints"
    group = cfg.prompts_per_step * cfg.num_generations
    split = split_step(group, cfg.micro_batch_size)
    if cfg.use_vllm:
        shutdown_engines()  # one vLLM engine per process: TRL's colocated one is next
    args = GRPOConfig(
        **common_trainer_args(cfg, checkpoints, seed, dtype, batch=group),
        per_device_train_batch_size=split.micro_batch, num_generations=cfg.num_generations,
        steps_per_generation=split.accumulation,  # one rollout of the whole group per optimizer step
        num_iterations=1, max_completion_length=cfg.max_turns * (cfg.max_new_tokens + 256),
        temperature=cfg.temperature, beta=cfg.beta, loss_type="dapo", scale_rewards=cfg.scale_rewards,
        mask_truncated_completions=False, reward_weights=[1.0, 0.0], shuffle_dataset=True,
        remove_unused_columns=False, log_completions=False, disable_dropout=True,
        use_vllm=cfg.use_vllm, vllm_mode="colocate", vllm_importance_sampling_correction=False,
        vllm_gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
        vllm_enable_sleep_mode=cfg.vllm_enable_sleep_mode,
    )
    log_path = workdir / "train_log.jsonl"
    # Several processes (toolpast.distributed): every rank trains and rolls out its share of each step's prompts
    # (TRL gathers the rewards for the group advantages); main alone shows progress and writes the logs, the
    # model and the cleanup (the rollout rows reach it through EpisodeRollout).
    main = distributed.is_main()
    progress = [LiveTrainingCallback(title, log_path, keys=LOGGED)] if main else []
    trainer = _grpo_trainer_class()(model=model, reward_funcs=[env_reward, env_success], args=args,
                                    train_dataset=Dataset.from_list(rollout.rows), processing_class=tokenizer,
                                    peft_config=lora_config(cfg), rollout_func=rollout,
                                    callbacks=[*progress, *callbacks])
    trainer.remove_callback(PrinterCallback)
    resume = latest_checkpoint(checkpoints)
    resumed_from = checkpoint_step(resume)
    if main:
        # The steps after the checkpoint are replayed: drop what a killed run logged of them. A rollout row
        # carries the step it was drawn at (before that step's update), a train-log row the step after its update.
        truncate_log(rollout.log_path, below=resumed_from)
        truncate_log(log_path, below=resumed_from + 1)
    trainer.train(resume_from_checkpoint=resume)
    shutdown_trainer_engine(trainer)  # K refinement rounds must not stack K colocated vLLM engines
    save_full_model(trainer.model, tokenizer, workdir / "model", trainer)
    if not main:
        return {}  # the stage's outputs are main's
    drop_checkpoints(checkpoints)
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    curve = [row for row in rows if "reward" in row]
    return {"steps": cfg.steps, "tasks": len(rollout.rows), "resumed_from_step": resumed_from,
            "reward_curve": [round(row["reward"], 4) for row in curve],
            "success_curve": [round(row.get("rewards/env_success/mean", 0.0), 4) for row in curve]}
