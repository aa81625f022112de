"""The leaderboard JSON schema (versioned). `leaderboards/schema.json` is generated from these models.

One entry = one (model variant, suite, category) evaluation, with enough provenance to rerun it exactly.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SCHEMA_VERSION = 1


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelIdentity(Record):
    name: str = Field(description="The --model spec the run started from, e.g. smollm2-135m-instruct.")
    weights_sha256: str = Field(description="sha256 over the evaluated model's safetensors files.")


class Variant(Record):
    name: Literal["base", "sft", "past", "open_book", "pre_injection", "sequential", "target_rl", "source_sft",
                  "source_rl"] = Field(
        description="base: shared start model; sft: target SFT; past: sft + lambda * v; open_book: base with "
                    "the target docs in the prompt (reference); source_sft / source_rl: the source's SFT and RL "
                    "models on the source's own test tasks (does RL help where it was trained?).")
    lam: float | None = Field(None, description="lambda of the injected skill vector (past only).")
    vector_keep: float | None = Field(None, description="PaST with a sparsified skill vector: the share of each "
                                                        "tensor's entries kept (largest magnitude, norm restored); "
                                                        "None: the dense vector.")
    vector_id: str | None = Field(None, description="Artifact key of the skill vector (past only).")
    source_categories: list[str] = Field(default_factory=list, description="Where the skill vector was learned.")
    rounds: int | None = Field(None, description="Iterative skill refinement rounds K behind the vector (past only).")
    rl_step: int | None = Field(None, description="The GRPO step whose policy is the source RL model (source_rl, "
                                                  "and the skill vector of the variants built from it) when "
                                                  "rl.select_every chose it on held-out source tasks; None: the "
                                                  "last step.")
    knowledge: str | None = Field(None, description="QA suites: what the SFT saw, e.g. passage, "
                                                    "passage+implications:qwen, passage+implications:gpt41, "
                                                    "passage+implications:self.")
    setting: str | None = Field(None, description="QA suites: single_passage (a fresh adapter per passage) or "
                                                  "cpt:N (continued pretraining on N passages at once).")


class Metrics(Record):
    success_rate: float = Field(ge=0, le=1)
    n: int = Field(ge=0, description="Tasks evaluated.")
    successes: int = Field(ge=0)
    ci95_low: float = Field(ge=0, le=1, description="Wilson 95% interval, lower bound.")
    ci95_high: float = Field(ge=0, le=1, description="Wilson 95% interval, upper bound.")
    mean_steps: float | None = Field(None, description="Mean model turns per episode.")
    mean_model_tokens: float | None = Field(None, description="Mean tokens the model generated per episode.")
    error_observation_rate: float | None = Field(None, description="Share of steps answered with an error.")
    finished_rate: float | None = Field(None, description="Share of episodes ended with give_answer.")
    valid_call_rate: float | None = Field(None, description="Mean share of calls that executed without error.")
    api_recall: float | None = Field(None, description="Mean share of the gold APIs that were called.")
    samples_per_task: int | None = Field(None, ge=1, description="k: episodes sampled per task for pass@k / pass^k "
                                                                  "(success_rate then averages over all of them).")
    pass_at_k: dict[str, float] | None = Field(None, description="Unbiased pass@k (some of k samples succeed), keyed "
                                                                 "by k as a string.")
    pass_hat_k: dict[str, float] | None = Field(None, description="pass^k (all of k samples succeed; tau-bench), "
                                                                  "keyed by k as a string.")
    knowledge_accuracy: float | None = Field(None, ge=0, le=1, description="Share of closed-book knowledge "
                                                                           "questions about the category's API docs "
                                                                           "answered right (held-out phrasings).")
    knowledge_n: int | None = Field(None, ge=0, description="Knowledge questions asked.")

    @model_validator(mode="after")
    def _consistent(self):
        if self.successes > self.n or (self.n and abs(self.success_rate - self.successes / self.n) > 1e-9):
            raise ValueError("success_rate must equal successes / n")
        return self


class Provenance(Record):
    toolpast_version: str
    git_commit: str | None
    command: str = Field(description="The command line that produced the entry.")
    preset: str
    config_hash: str = Field(description="Hash of the full run config.")
    seeds: dict[str, int]
    backend: str
    date: str = Field(description="ISO 8601 UTC time the evaluation finished.")
    packages: dict[str, str] = Field(default_factory=dict)


class TaskOutcome(Record):
    """One task's result, so two variants evaluated on the same tasks can be compared pairwise."""

    task_id: str
    successes: int = Field(ge=0)
    samples: int = Field(1, ge=1)


class Feasibility(Record):
    """Rung 0 of an evaluation: how many of its tasks the oracle itself solves under the budget it ran with
    (toolpast.tooluse.feasibility: the oracle replayed token-exact with the model's tokenizer)."""

    budget: str = Field(description="Turns x new tokens per turn (and context) the evaluation ran under.")
    tasks: int = Field(ge=0)
    feasible: int = Field(ge=0, description="Tasks the oracle solves under that budget.")
    needs_turns: int = Field(ge=0, description="Most turns any task's oracle needs.")
    needs_new_tokens: int = Field(ge=0, description="Longest oracle turn, in new tokens.")
    allow_infeasible: bool = Field(False, description="The run was told to go on with infeasible tasks.")


class Entry(Record):
    model: ModelIdentity
    variant: Variant
    suite: str
    category: str
    book: Literal["closed", "open"]
    split: Literal["test", "validation"] = Field("test", description="test: reported held-out tasks; validation: "
                                                                     "held-out train tasks for tuning only.")
    sft_data: str | None = Field(None, description="What the SFT stages saw: docs, or docs+trajectories "
                                                   "(the two-stage protocol).")
    metrics: Metrics
    provenance: Provenance
    grader: str | None = Field(None, description="How answers were judged when not by toolenv's state grader, e.g. "
                                                 "offline:v1 or judge:gpt-4.1:seal (QA suites).")
    outcomes: list[TaskOutcome] | None = Field(None, description="Per-task results (paired comparisons, bootstrap).")
    feasibility: Feasibility | None = Field(None, description="Rung 0 (tool use; absent from entries made before "
                                                              "it was measured).")


class Leaderboard(Record):
    schema_version: int = Field(SCHEMA_VERSION, description="Bumped on any incompatible change.")
    entries: list[Entry] = Field(default_factory=list)
