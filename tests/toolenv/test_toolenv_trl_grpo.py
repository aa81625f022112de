"""The environment_factory adapter inside a real TRL GRPOTrainer run (tiny model, CPU, a few seconds)."""

import os
from functools import partial
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_grpo_trainer_runs_with_tool_environment(tiny_model_dir, tmp_path):
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    import trl
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    from toolenv.trl_env import ToolEnvironment, dataset_rows

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    # TRL parses tool calls with the templates it knows; the tiny model speaks ChatML like Qwen2.5.
    tokenizer.chat_template = (Path(trl.__file__).parent / "chat_templates" / "qwen2_5.jinja").read_text()
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, use_safetensors=True)
    rewards = []

    class Recorded(ToolEnvironment):
        def get_reward(self) -> float:  # noqa: D102 - not a tool: TRL calls it by name
            value = super().get_reward()
            rewards.append(value)
            return value

    args = GRPOConfig(output_dir=str(tmp_path), max_steps=1, per_device_train_batch_size=4, num_generations=2,
                      max_completion_length=24, use_cpu=True, bf16=False, report_to=[], save_strategy="no",
                      logging_steps=1, disable_tqdm=True, max_tool_calling_iterations=2, beta=0.0)
    trainer = GRPOTrainer(model=model, args=args, processing_class=tokenizer,
                          train_dataset=Dataset.from_list(dataset_rows("finance", "train", n=4)),
                          environment_factory=partial(Recorded, book="closed"))
    trainer.train()
    assert len(rewards) == 4 and all(0.0 <= r <= 1.0 for r in rewards)
    assert any("reward" in row for row in trainer.state.log_history)
