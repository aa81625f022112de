"""Typed configs of the QA suites (SQuAD under SEAL's protocol, LooGLE) and their presets smoke / cpu / paper.

Each field's description is its documentation (`toolpast qa squad --help` lists them) and `--set a.b=value`
overrides any of them. Stage and per-passage cache keys hash these configs, so two runs that differ in any
field never share a result by accident. SEAL's values (knowledge-incorporation `query_server.py` defaults and the
paper's Table 3) are the `paper` preset; `cpu` shrinks epochs and budgets to fit a 2-core machine, and says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from toolpast.config import Strict, TrainConfig

KNOWLEDGE = ("passage", "passage+implications:qwen", "passage+implications:gpt41", "passage+implications:self")
Knowledge = Literal["passage", "passage+implications:qwen", "passage+implications:gpt41",
                    "passage+implications:self"]


class PassageSFTConfig(Strict):
    """Single-passage knowledge SFT: a fresh LoRA per passage on its training sequences, trained in memory."""

    lora_rank: int = Field(32, ge=1, description="LoRA rank (SEAL: 32).")
    lora_alpha: int = Field(64, ge=1, description="LoRA alpha (SEAL: 64).")
    learning_rate: float = Field(1e-3, gt=0, description="Peak learning rate, linear decay, no warm-up (SEAL: 1e-3).")
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


class QARLConfig(TrainConfig):
    """GRPO on the source passages' questions, closed-book: prompt = SEAL's QA prompt, reward = the grader's verdict."""

    steps: int = Field(10, ge=1, description="GRPO optimizer steps.")
    learning_rate: float = Field(1e-5, gt=0, description="Peak learning rate.")
    prompts_per_step: int = Field(2, ge=1, description="Distinct questions per step.")
    num_generations: int = Field(4, ge=2, description="Answers sampled per question (the GRPO group).")
    temperature: float = Field(1.0, gt=0, description="Sampling temperature of the answers.")
    beta: float = Field(0.0, ge=0, description="KL coefficient against the start model (0 = no reference model).")
    max_new_tokens: int = Field(64, ge=1, description="New tokens per sampled answer.")
    use_vllm: bool = Field(False, description="Generate with vLLM (GPU only; TRL's colocate mode).")


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
    seed: int = Field(0, description="Seed of training, sampling and the source-passage shuffle.")
    squad_dir: str | None = Field(None, description="SQuAD/SEAL data folder (default ../shared/data/squad): the "
                                                    "evaluation passages and the skill vector's source passages.")
    lam: float = Field(1.0, description="Skill vector scale lambda (the paper: 1).")
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


def _smoke_common() -> dict:
    return dict(
        preset="smoke", model="tiny-random",
        passage_sft=PassageSFTConfig(lora_rank=4, lora_alpha=8, epochs=1, batch_size=4, max_length=96,
                                     max_sequences=4),
        answer=AnswerConfig(max_new_tokens=6, batch_size=16),
        implications=ImplicationConfig(max_new_tokens=12, batch_size=4),
        source=SourceConfig(passages=4, sft=TrainConfig(steps=2, batch_size=2, max_length=96, learning_rate=1e-3,
                                                        save_every=1),
                            rl=QARLConfig(steps=2, prompts_per_step=2, num_generations=2, max_new_tokens=6,
                                          learning_rate=1e-3, save_every=1)),
    )


def _cpu_source() -> SourceConfig:
    # 32 source passages (~150 questions): 4 SFT epochs over them, 10 GRPO steps of 2 questions x 4 answers.
    return SourceConfig(passages=32, sft=TrainConfig(steps=16, batch_size=8, max_length=320, learning_rate=1e-4,
                                                     save_every=8),
                        rl=QARLConfig(steps=10, prompts_per_step=2, num_generations=4, max_new_tokens=64,
                                      learning_rate=2e-5, save_every=5))


def _paper_source() -> SourceConfig:
    # Assumed where PaST is silent: 2 rounds over 400 source passages, group 8, 8 questions per step.
    return SourceConfig(passages=400, rounds=2,
                        sft=TrainConfig(steps=150, batch_size=16, max_length=1024, learning_rate=1e-5,
                                        save_every=50),
                        rl=QARLConfig(steps=100, prompts_per_step=8, num_generations=8, max_new_tokens=64,
                                      learning_rate=1e-6, use_vllm=True, save_every=25))


def squad_preset(name: str) -> SquadConfig:
    """smoke: tiny random model, 2 passages (plumbing only). cpu: SmolLM2-135M on the first 10 passages with
    SEAL's LoRA shape but 3 epochs of batch 4 (SEAL: 10 of batch 1), sized for ~25 min on 2 cores. paper:
    SEAL's Qwen2.5-7B settings (query_server defaults) on all 200 passages."""
    if name == "smoke":
        return SquadConfig(**_smoke_common(), passages=2,
                           cpt=CPTConfig(n=3, steps=2, batch_size=4, max_length=96, learning_rate=1e-3, save_every=1))
    if name == "cpu":
        return SquadConfig(preset="cpu", passages=10,
                           passage_sft=PassageSFTConfig(epochs=3, batch_size=4, max_length=320),
                           cpt=CPTConfig(n=200, epochs=1.0, batch_size=8, max_length=320, learning_rate=1e-4,
                                         save_every=50),
                           source=_cpu_source())
    if name == "paper":
        return SquadConfig(preset="paper", model="Qwen/Qwen2.5-7B", dtype="bfloat16", passages=200,
                           knowledge=["passage", "passage+implications:qwen", "passage+implications:gpt41",
                                      "passage+implications:self"],
                           past=["passage+implications:gpt41"],
                           answer=AnswerConfig(batch_size=256), implications=ImplicationConfig(temperature=1.0,
                                                                                               max_new_tokens=1024),
                           cpt=CPTConfig(n=200, epochs=3.0, batch_size=16, max_length=2048, learning_rate=1e-4,
                                         lora_rank=64, save_every=100),
                           source=_paper_source())
    raise ValueError(f"unknown preset {name!r}; choose one of smoke, cpu, paper")


def loogle_preset(name: str) -> LoogleConfig:
    """smoke: tiny model, 1 document, 2 chunks. cpu: SmolLM2-135M on the first 8 chunks of 1 document (a 24k-token
    document is ~5 min per epoch on 2 cores). paper: all 5 documents, whole documents, Qwen2.5-7B."""
    if name == "smoke":
        common = _smoke_common()
        common["passage_sft"] = PassageSFTConfig(lora_rank=4, lora_alpha=8, epochs=1, batch_size=2, max_length=96)
        return LoogleConfig(**common, documents=1, questions_per_document=3, chunk_tokens=64, chunk_overlap=8,
                            max_chunks=2)
    if name == "cpu":
        return LoogleConfig(preset="cpu", documents=1, questions_per_document=10, chunk_tokens=256, chunk_overlap=32,
                            max_chunks=8, passage_sft=PassageSFTConfig(epochs=2, batch_size=4, max_length=320),
                            source=_cpu_source())
    if name == "paper":
        return LoogleConfig(preset="paper", model="Qwen/Qwen2.5-7B", dtype="bfloat16", documents=5,
                            chunk_tokens=1024, chunk_overlap=128,
                            passage_sft=PassageSFTConfig(epochs=3, batch_size=4, max_length=1100),
                            answer=AnswerConfig(batch_size=256), source=_paper_source())
    raise ValueError(f"unknown preset {name!r}; choose one of smoke, cpu, paper")
