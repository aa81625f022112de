"""The QA suites' presets (SquadConfig, LoogleConfig), registered under "squad" and "loogle" in toolpast.presets.
SEAL's values (knowledge-incorporation `query_server.py` defaults and the paper's Table 3) are `paper`; `cpu`
shrinks epochs and budgets to fit a 2-core machine; `smoke` is plumbing only.
"""

from __future__ import annotations

from toolpast.config import TrainConfig
from toolpast.presets import register
from toolpast.qa.config import (
    AnswerConfig,
    CPTConfig,
    ImplicationConfig,
    LoogleConfig,
    PassageSFTConfig,
    QARLConfig,
    QARunConfig,
    SourceConfig,
    SquadConfig,
)


def _smoke_common() -> dict:
    return dict(
        preset="smoke", model="tiny-random", min_vector_kept=0.0,  # a random model's RL learns nothing: v = 0
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


def squad_smoke() -> SquadConfig:
    """Tiny random model, 2 passages (plumbing only)."""
    return SquadConfig(**_smoke_common(), passages=2,
                       cpt=CPTConfig(n=3, steps=2, batch_size=4, max_length=96, learning_rate=1e-3, save_every=1))


def squad_cpu() -> SquadConfig:
    """SmolLM2-135M on the first 10 passages with SEAL's LoRA shape but 3 epochs of batch 4 (SEAL: 10 of batch 1),
    sized for ~25 min on 2 cores."""
    return SquadConfig(preset="cpu", passages=10,
                       passage_sft=PassageSFTConfig(epochs=3, batch_size=4, max_length=320),
                       cpt=CPTConfig(n=200, epochs=1.0, batch_size=8, max_length=320, learning_rate=1e-4,
                                     save_every=50),
                       source=_cpu_source())


def squad_paper() -> SquadConfig:
    """SEAL's Qwen2.5-7B settings (query_server defaults) on all 200 passages."""
    return SquadConfig(preset="paper", model="Qwen/Qwen2.5-7B", dtype="bfloat16", passages=200,
                       knowledge=["passage", "passage+implications:qwen", "passage+implications:gpt41",
                                  "passage+implications:self"],
                       past=["passage+implications:gpt41"],
                       answer=AnswerConfig(batch_size=256), implications=ImplicationConfig(temperature=1.0,
                                                                                           max_new_tokens=1024),
                       cpt=CPTConfig(n=200, epochs=3.0, batch_size=16, max_length=2048, learning_rate=1e-4,
                                     lora_rank=64, save_every=100),
                       source=_paper_source())


def loogle_smoke() -> LoogleConfig:
    """Tiny model, 1 document, 2 chunks."""
    common = _smoke_common()
    common["passage_sft"] = PassageSFTConfig(lora_rank=4, lora_alpha=8, epochs=1, batch_size=2, max_length=96)
    return LoogleConfig(**common, documents=1, questions_per_document=3, chunk_tokens=64, chunk_overlap=8,
                        max_chunks=2)


def loogle_cpu() -> LoogleConfig:
    """SmolLM2-135M on the first 8 chunks of 1 document (a 24k-token document is ~5 min per epoch on 2 cores)."""
    return LoogleConfig(preset="cpu", documents=1, questions_per_document=10, chunk_tokens=256, chunk_overlap=32,
                        max_chunks=8, passage_sft=PassageSFTConfig(epochs=2, batch_size=4, max_length=320),
                        source=_cpu_source())


def loogle_paper() -> LoogleConfig:
    """All 5 documents, whole documents, Qwen2.5-7B."""
    return LoogleConfig(preset="paper", model="Qwen/Qwen2.5-7B", dtype="bfloat16", documents=5,
                        chunk_tokens=1024, chunk_overlap=128,
                        passage_sft=PassageSFTConfig(epochs=3, batch_size=4, max_length=1100),
                        answer=AnswerConfig(batch_size=256), source=_paper_source())


register("squad", {"smoke": squad_smoke, "cpu": squad_cpu, "paper": squad_paper})
register("loogle", {"smoke": loogle_smoke, "cpu": loogle_cpu, "paper": loogle_paper})


def get_preset(name: str, suite: str) -> QARunConfig:
    """The preset `name` of a QA suite (squad or loogle)."""
    from toolpast.presets import get_preset as lookup

    if suite not in ("squad", "loogle"):
        raise ValueError(f"{suite!r} is not a QA suite (squad, loogle)")
    return lookup(name, suite)
