"""GRPO on source-category tasks: the shared GRPO stage (`grpo.py`) with a multi-turn rollout over toolenv episodes.

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
prototype scheme). With rl.select_every, policies are kept during training and the one that solves the most
held-out source tasks becomes the model (`select.py`; its scores in the outputs' "selection"). A killed run
resumes from its newest checkpoint and replays what the uninterrupted run would have done, each step logged once
(`grpo.py`, `resume.py`; `tests/toolpast/stages/test_stage_resume.py`).
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import toolenv
from toolpast import distributed
from toolpast.batching import split_step
from toolpast.io import atomic_write_text
from toolpast.models import load_tokenizer
from toolpast.rollout.chat_tokens import ChatTokens
from toolpast.rollout.episodes import run_episodes
from toolpast.rollout.hf import HFGenerator
from toolpast.stages.grpo import GRPOJob, GRPORun, run_grpo
from toolpast.tooluse.config import RLConfig
from toolpast.tooluse.select import PolicyChoice, choose_policy

TRAINED_FILE = "trained.json"  # the finished GRPO run's record, when a policy choice follows
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
        scored = bool(getattr(trainer, "use_vllm", False))  # vLLM's sampling logprobs: TRL's IS correction
        with self._generator(trainer) as generator:
            records = run_episodes(episodes, generator, self.chat, self.cfg.max_turns, self.cfg.max_new_tokens,
                                   scored=scored)
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
            "logprobs": [r.logprobs for r in records] if scored else None,
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


def run_rl(start_model: Path, tasks: list, cfg: RLConfig, workdir: Path, seed: int, dtype: str,
           title: str = "rl", callbacks: tuple = (), choice: PolicyChoice | None = None) -> dict:
    """GRPO from `start_model` on toolenv episodes (`stages/grpo.py`); a rerun resumes from the newest checkpoint in
    workdir/checkpoints and, on the HF backend, reproduces the uninterrupted run (same tasks, samples, weights and
    logs). `callbacks`: extra TrainerCallbacks. `choice` (with cfg.select_every): keep the policy every
    select_every steps and make the one that solves the most held-out source tasks the model (`select.py`)."""
    if choice is not None and not cfg.select_every:
        raise ValueError("a policy choice needs rl.select_every > 0 (the steps at which policies are kept)")
    tokenizer = load_tokenizer(start_model)
    rollout = EpisodeRollout(tasks, tokenizer, cfg, log_path=workdir / "rollouts.jsonl")
    group = cfg.prompts_per_step * cfg.num_generations
    split = split_step(group, cfg.micro_batch_size)
    job = GRPOJob(
        rows=rollout.rows, reward_funcs=[env_reward, env_success], logged=LOGGED, batch=group,
        rollout_func=rollout, sample_log=rollout.log_path,
        options=dict(
            per_device_train_batch_size=split.micro_batch,
            steps_per_generation=split.accumulation,  # one rollout of the whole group per optimizer step
            max_completion_length=cfg.max_turns * (cfg.max_new_tokens + 256), scale_rewards=cfg.scale_rewards,
            reward_weights=[1.0, 0.0], vllm_gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
            vllm_enable_sleep_mode=cfg.vllm_enable_sleep_mode),
        snapshot_every=cfg.select_every if choice is not None else 0)
    trained = workdir / TRAINED_FILE  # with a choice: training ended, what is left is choosing (resumable)
    if choice is not None and distributed.on_main(trained.is_file):
        run = GRPORun(**json.loads(trained.read_text())) if distributed.is_main() else None
    else:
        run = run_grpo(start_model, tokenizer, job, cfg, workdir, seed, dtype, title, callbacks)
        if choice is not None and run is not None:
            atomic_write_text(trained, json.dumps(asdict(run)))
    chosen = choose_policy(workdir, choice, seed, dtype, title) if choice is not None else None
    if run is None:
        return {}  # the stage's outputs are main's
    outputs = {"steps": cfg.steps, "tasks": len(rollout.rows), "resumed_from_step": run.resumed_from_step,
               "reward_curve": [round(row["reward"], 4) for row in run.curve],
               "success_curve": [round(row.get("rewards/env_success/mean", 0.0), 4) for row in run.curve]}
    if chosen is not None:
        outputs["selection"] = chosen
    return outputs
