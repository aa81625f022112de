"""The records every QA suite shares: a passage (or a long document) with its question-answer pairs.

One shape for SQuAD passages and LooGLE documents keeps the SFT and evaluation code suite-agnostic. Implications
(SEAL's synthetic "list of implications" completions, the knowledge sources of its baselines) ride along keyed by
who wrote them: "qwen" (Qwen2.5-7B, SEAL's file), "gpt41" (GPT-4.1, SEAL's file), "self" (the model under test).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class QAPair(BaseModel):
    question: str = Field(description="The question as the dataset states it (no topic prefix).")
    answer: str = Field(description="The gold answer.")
    evidence: list[str] = Field(default_factory=list,
                                description="Supporting passages of the document where the dataset gives them "
                                            "(LooGLE's `S` field); empty for SQuAD.")
    kind: str | None = Field(default=None, description="The dataset's question type where it gives one (LooGLE "
                                                        "long-dependency `type`, e.g. comprehension_and_reasoning).")


class Passage(BaseModel):
    title: str = Field(description="Article title (SQuAD) or document title (LooGLE).")
    context: str = Field(description="The passage or the whole long document.")
    questions: list[QAPair] = Field(description="The questions asked about this passage, in dataset order.")
    implications: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Synthetic implication completions by writer: 'qwen', 'gpt41' (SEAL's files), 'self'.")
