"""The tool-use suite's presets (RunConfig), registered under "tool-use" in toolpast.presets:
- smoke: tiny random model, a few tasks; the whole pipeline in about a minute. Used by tests: it checks the
  plumbing, not the method (a random model scores 0 everywhere).
- cpu (default): the embedded SmolLM2-135M-Instruct on a 2-core machine; budgets sized from measured costs
  (docs/results.md, "Cost on a CPU").
- paper: Qwen2.5-7B-Instruct with vLLM rollouts, full fine-tuning with fp32 master weights and bf16 compute, as
  far as the paper's settings are known (arXiv 2601.11258); our assumptions are marked. Two rounds of iterative
  skill refinement (K = 2, the paper's). Needs GPUs; see docs/scaling.md and `--dry-run`.
Any field can still be overridden with `--set a.b=value`.
"""

from __future__ import annotations

from toolenv import RewardWeights
from toolpast.cpu_bf16 import native_bf16
from toolpast.presets import register
from toolpast.tooluse.config import EvalConfig, RLConfig, RunConfig, SFTConfig, TrajectorySFTConfig, WarmupConfig

SUITE = "tool-use"


def smoke() -> RunConfig:
    return RunConfig(
        preset="smoke", model="tiny-random", min_vector_kept=0.0,  # a random model's RL learns nothing: v = 0
        allow_infeasible=True,  # 2 turns x 12 tokens: plumbing at a minute's cost, never a score (rung 0 says so)
        warmup=WarmupConfig(steps=2, batch_size=4, tasks_per_category=2, max_length=768, save_every=1,
                            learning_rate=1e-3),
        sft=SFTConfig(steps=2, batch_size=4, max_length=128, save_every=1, learning_rate=1e-3),
        rl=RLConfig(steps=3, prompts_per_step=2, num_generations=2, max_turns=2, max_new_tokens=12, train_tasks=4,
                    save_every=1, learning_rate=1e-3),
        eval=EvalConfig(tasks=6, batch_size=6, max_turns=2, max_new_tokens=12),
    )


def cpu() -> RunConfig:
    # The first author's two-stage SFT protocol (docs/results.md, "The transfer table"): docs as prompt/response pairs,
    # then the category's own train trajectories; no protocol warm-up (stage 2 teaches the protocol in-category, and the
    # four warm-up categories become validation categories for tuning). bf16 autocast over fp32 master weights where the
    # CPU has bf16 instructions (~2x per SFT step with AVX512-BF16; 25x slower without: cpu_bf16.py). Budgets are sized
    # so that `toolpast sweep` over the 21 targets fits in about 2 hours on 2 cores (docs/results.md, "Cost on a CPU").
    fast = native_bf16()
    return RunConfig(
        preset="cpu", model="smollm2-135m-instruct",
        warmup=WarmupConfig(enabled=False, steps=12, batch_size=4, tasks_per_category=12, max_length=768,
                            learning_rate=1e-4, save_every=4, bf16_autocast=fast),
        sft=SFTConfig(data="docs+trajectories", steps=4, batch_size=8, max_length=320, learning_rate=1e-4,
                      save_every=2, bf16_autocast=fast,
                      # max_length: the longest oracle trajectory of a category's first 20 train tasks is 953 tokens
                      # (6 of 520 were cut at the earlier 896, losing their Finish)
                      trajectories=TrajectorySFTConfig(steps=5, batch_size=4, max_length=1024, learning_rate=1e-4,
                                                       tasks_per_category=20, save_every=5, bf16_autocast=fast)),
        # Measured on the docs-only protocol (docs/results.md, "GRPO on CPU"): with group-std advantage scaling reward
        # was flat or collapsed; unscaled advantages (Dr. GRPO) and a small KL term rose in 20 steps. Turns and tokens
        # for RL and evaluation alike: every native task's oracle fits 5 turns x 78 tokens (`toolpast feasibility`; 4 x
        # 64 cut a third of the tasks off), plus a turn and ~20% tokens of slack for a model's detours.
        rl=RLConfig(steps=12, prompts_per_step=2, num_generations=6, max_turns=6, max_new_tokens=96,
                    train_tasks=64, learning_rate=3e-5, beta=0.02, scale_rewards="none", temperature=0.8,
                    save_every=3, reward_scheme="prototype", bf16_autocast=fast,
                    reward=RewardWeights(format=0.15, valid_call=0.35, api_recall=0.3, finished=0.1, fact_recall=0.1)),
        eval=EvalConfig(tasks=20, batch_size=20, max_turns=6, max_new_tokens=96, bf16_autocast=fast),
    )


def paper() -> RunConfig:
    # SFT and reward follow the first author's ToolBench prototype (docs/method.md section 7): stage 1 doc pairs lr 5e-5
    # for 3 epochs, stage 2 trajectories lr 2e-5 batch 32 for 3 epochs (180 train tasks: 17 steps); the prototype's
    # per-turn reward. Stage 1 uses batch 40, not the prototype's 64: a refinement round sees half the source's 80
    # pairs, and a batch larger than its data would silently shrink; 6 steps of 40 = the prototype's 3 epochs of the
    # target's 80 pairs. Assumed where paper and prototype are silent: group size 8, 8 prompts/step, 200 steps, lr 1e-6;
    # with K = 2 the steps are per round (each round's RL sees half the 180 non-validation train tasks), so RL costs 2 x
    # 200 steps. Precision: fp32 master weights, bf16 compute (dtype float32 + bf16_autocast; under the DeepSpeed
    # configs in accelerate/, DeepSpeed's bf16 mode keeps the fp32 master copy). In pure bf16 a lr-1e-6 step rounds away
    # and v would be mostly zeros (tests/toolpast/test_presets_precision.py; min_vector_kept refuses such a vector).
    # Checkpoints stay fp32 (30 GB for 7B) so v keeps the small update; vLLM evaluates in bf16. batch_size counts
    # sequences per optimizer step over all GPUs, so the recipe is the same on 1 and on 8 GPUs; micro_batch_size bounds
    # activations (`toolpast run --preset paper --dry-run` prints the memory plan).
    return RunConfig(
        preset="paper", model="Qwen/Qwen2.5-7B-Instruct", dtype="float32", refine_rounds=2,
        warmup=WarmupConfig(enabled=False),
        sft=SFTConfig(data="docs+trajectories", steps=6, batch_size=40, micro_batch_size=5, max_length=1024,
                      learning_rate=5e-5, save_every=2, bf16_autocast=True,
                      trajectories=TrajectorySFTConfig(steps=17, batch_size=32, micro_batch_size=2, max_length=4096,
                                                       learning_rate=2e-5, tasks_per_category=180, save_every=5,
                                                       bf16_autocast=True)),
        rl=RLConfig(steps=200, prompts_per_step=8, num_generations=8, micro_batch_size=1, max_turns=8,
                    max_new_tokens=512, train_tasks=180, learning_rate=1e-6, beta=0.0, save_every=25,
                    bf16_autocast=True, use_vllm=True, vllm_gpu_memory_utilization=0.3, vllm_enable_sleep_mode=True,
                    reward_scheme="prototype", reward=RewardWeights(format=0.0, finished=0.0)),
        eval=EvalConfig(tasks=60, backend="vllm", batch_size=256, max_turns=8, max_new_tokens=512,
                        bf16_autocast=True),
    )


register(SUITE, {"smoke": smoke, "cpu": cpu, "paper": paper})


def get_preset(name: str) -> RunConfig:
    """The tool-use preset `name` (a RunConfig)."""
    from toolpast.presets import get_preset as lookup

    return lookup(name, SUITE)
