"""Typed configs of the QA suites (SQuAD under SEAL's protocol, LooGLE); their presets are in toolpast/presets.py.

Each field's description is its documentation (`toolpast qa squad --help` lists them) and `--set a.b=value`
overrides any of them. Stage and per-passage cache keys hash these configs, so two runs that differ in any
field never share a result by accident. SEAL's values (knowledge-incorporation `query_server.py` defaults and the
paper's Table 3) are the `paper` preset; `cpu` shrinks epochs and budgets to fit a 2-core machine, and says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from toolpast.config import GRPOSettings, Lambda, LearningRate, MinVectorKept, Seed, Strict, TrainConfig

KNOWLEDGE = ("passage", "passage+implications:qwen", "passage+implications:gpt41", "passage+implications:self")
Knowledge = Literal["passage", "passage+implications:qwen", "passage+implications:gpt41",
                    "passage+implications:self"]


class PassageSFTConfig(Strict):
    """Single-passage knowledge SFT: a fresh LoRA per passage on its training sequences, trained in memory."""

    lora_rank: int = Field(32, ge=1, description="LoRA rank (SEAL: 32).")
    lora_alpha: int = Field(64, ge=1, description="LoRA alpha (SEAL: 64).")
    learning_rate: LearningRate = Field(1e-3, description="Peak learning rate, linear decay, no warm-up (SEAL: 1e-3).")
    epochs: int = Field(10, ge=1, description="Passes over the passage's training sequences (SEAL: 10).")
    batch_size: int = Field(1, ge=1, description="Sequences per optimizer step (SEAL: 1).")
    max_length: int = Field(512, ge=16, description="Each training sequence is cut to this many tokens.")
    max_sequences: int = Field(30, ge=1, description="Implication lines kept per completion (SEAL's "
                                                     "MAX_TRAIN_SEQS_PER_COMPLETION = 30).")
    completions: int = Field(1, ge=1, description="Implication completions per passage, each with its own adapter; "
                                                  "a question's verdicts are pooled over them (SEAL's k_completions).")


class CPTConfig(TrainConfig):
    """Continued pretraining: one SFT (TRL SFTTrainer) on the training sequences of n passages at once."""

    n: int = Field(200, ge=1, description="Passages trained on and evaluated: the first n of squad_val in SEAL's "
                                          "order (200 = SEAL's evaluation set; 2067 = all of squad_val).")
    epochs: float = Field(1.0, gt=0, description="Passes over the sequences; sets steps = ceil(epochs * rows / "
                                                 "batch_size) unless `steps_override`.")
    steps_override: bool = Field(False, description="Use `steps` as given instead of deriving it from epochs.")


class AnswerConfig(Strict):
    """Closed-book answering: SEAL's prompt, greedy decoding, no passage in the prompt."""

    max_new_tokens: int = Field(64, ge=1, description="New tokens per answer (SEAL: 64).")
    batch_size: int = Field(32, ge=1, description="Questions generated together.")
    topic_prefix: bool = Field(True, description="Ask `Topic: <title>\\n<question>` as SEAL's query_server does.")
    chat_template: bool = Field(False, description="Wrap SEAL's prompt as the user turn of the model's chat "
                                                   "template (SEAL does this for instruct models); default: the raw "
                                                   "prompt, as SEAL used for its base model.")


class ImplicationConfig(Strict):
    """Implications the model under test writes itself, with SEAL's implication prompt."""

    max_new_tokens: int = Field(256, ge=8, description="New tokens per completion.")
    temperature: float = Field(0.0, ge=0, description="0 = greedy (default here); SEAL samples at 1.0.")
    batch_size: int = Field(8, ge=1, description="Passages generated together.")
    chat_template: bool = Field(False, description="Wrap the prompt in the model's chat template.")


class QARLConfig(GRPOSettings):
    """GRPO on the source passages' questions, closed-book: prompt = SEAL's QA prompt, reward = the grader's verdict."""

    steps: int = Field(10, ge=1, description="GRPO optimizer steps.")
    max_new_tokens: int = Field(64, ge=1, description="New tokens per sampled answer.")


class SourceConfig(Strict):
    """Where the QA skill vector is learned: SQuAD passages disjoint from the evaluation passages."""

    passages: int = Field(64, ge=1, description="Source passages (squad_val minus SEAL's 200, shuffled with the "
                                                "run seed), dealt into `rounds` disjoint parts.")
    rounds: int = Field(1, ge=1, description="Iterative skill refinement rounds K (the paper: 2).")
    exclude_eval_titles: bool = Field(False, description="Also drop passages of the evaluation passages' articles.")
    knowledge: Literal["passage", "passage+implications:self"] = Field(
        "passage", description="What the source SFT trains on (SEAL's implication files cover only the 200).")
    sft: TrainConfig = Field(default_factory=lambda: TrainConfig(steps=20, batch_size=8, learning_rate=1e-4,
                                                                 max_length=320, save_every=10),
                             description="Source knowledge SFT (full fine-tuning unless sft.lora_rank > 0).")
    rl: QARLConfig = Field(default_factory=QARLConfig)


class GraderChoice(Strict):
    """How answers are judged."""

    kind: Literal["offline", "judge"] = Field("offline", description="offline = toolpast.qa.grading.OfflineGrader "
                                                                     "(no network); judge = an LLM judge.")
    style: Literal["seal", "past"] = Field("seal", description="LLM judge prompt: SEAL's yes/no or PaST's True/False.")
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint of the LLM judge.")
    model: str = Field("gpt-4.1", description="Judge model name.")


class QARunConfig(Strict):
    """What both suites share."""

    preset: str = Field("cpu", description="Preset this config started from (recorded, not used).")
    model: str = Field("smollm2-135m-instruct", description="Model spec: embedded name, local dir or hub id.")
    dtype: Literal["float32", "bfloat16", "float16"] = Field("float32", description="Training and eval dtype.")
    seed: Seed = Field(0, description="Seed of training, sampling and the source-passage shuffle.")
    squad_dir: str | None = Field(None, description="SQuAD/SEAL data folder (default ../shared/data/squad): the "
                                                    "evaluation passages and the skill vector's source passages.")
    lam: Lambda = Field(1.0, description="Skill vector scale lambda (the paper: 1).")
    min_vector_kept: MinVectorKept = 0.5
    knowledge: list[Knowledge] = Field(default_factory=lambda: ["passage", "passage+implications:gpt41"],
                                       description=f"SFT variants to evaluate, each a knowledge source: {KNOWLEDGE}.")
    past: list[Knowledge] = Field(default_factory=lambda: ["passage+implications:gpt41"],
                                  description="Knowledge sources whose SFT models are also evaluated + lambda * v.")
    base: bool = Field(True, description="Evaluate the untrained model too.")
    passage_sft: PassageSFTConfig = Field(default_factory=PassageSFTConfig)
    answer: AnswerConfig = Field(default_factory=AnswerConfig)
    implications: ImplicationConfig = Field(default_factory=ImplicationConfig)
    source: SourceConfig = Field(default_factory=SourceConfig)
    grader: GraderChoice = Field(default_factory=GraderChoice)

    @field_validator("past")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"duplicate knowledge sources in {value}")
        return value


class SquadConfig(QARunConfig):
    """`toolpast qa squad`: SEAL's SQuAD protocol."""

    setting: Literal["single_passage", "cpt"] = Field("single_passage", description="single_passage: a fresh LoRA "
                                                      "per passage; cpt: one SFT on `cpt.n` passages at once.")
    passages: int = Field(200, ge=1, le=200, description="Single-passage setting: the first N of SEAL's 200 "
                                                         "evaluation passages (SEAL's order).")
    cpt: CPTConfig = Field(default_factory=CPTConfig)


class LoogleConfig(QARunConfig):
    """`toolpast qa loogle`: LooGLE documents chunked for SFT, then closed-book answers."""

    kind: Literal["shortdep", "longdep"] = Field("shortdep", description="LooGLE split: short- or long-dependency QA.")
    loogle_dir: str | None = Field(None, description="LooGLE data folder (default ../shared/data/loogle).")
    documents: int = Field(5, ge=1, description="The first N documents of the split.")
    questions_per_document: int | None = Field(None, ge=1, description="Cap per document (None = all).")
    chunk_tokens: int = Field(512, ge=16, description="Tokens per SFT chunk of a document.")
    chunk_overlap: int = Field(64, ge=0, description="Tokens shared by consecutive chunks.")
    max_chunks: int | None = Field(None, ge=1, description="Train on only the first N chunks (CPU budgets); "
                                                           "None = the whole document.")
    knowledge: list[Literal["passage"]] = Field(default_factory=lambda: ["passage"],
                                                description="LooGLE has no implication files: passage only.")
    past: list[Literal["passage"]] = Field(default_factory=lambda: ["passage"],
                                           description="Evaluate the document SFT model + lambda * v too.")
