"""What SFT and RL share: TRL argument defaults set explicitly, checkpoint resume, and saving a merged model.

TRL's defaults move between versions (DESIGN.md 4), so every option that matters is set here by name.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import torch

from toolpast.config import TrainConfig


# TRL passes the old name to transformers itself; nothing for a toolpast user to act on.
warnings.filterwarnings("ignore", message=r"`(is_)?gradient_checkpointing\w*` is deprecated")


def device_kind() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def common_trainer_args(cfg: TrainConfig, output_dir: Path, seed: int, dtype: str,
                        batch: int | None = None) -> dict[str, Any]:
    """Keyword arguments accepted by both trl.SFTConfig and trl.GRPOConfig. `batch`: sequences per optimizer
    step when not cfg.batch_size (GRPO's group), split over devices and micro-batches by toolpast.batching."""
    from toolpast.batching import split_step

    on_gpu = device_kind() == "cuda"
    return dict(
        output_dir=str(output_dir), max_steps=cfg.steps, learning_rate=cfg.learning_rate,
        lr_scheduler_type="linear", warmup_steps=0, weight_decay=0.0, max_grad_norm=1.0,
        gradient_accumulation_steps=split_step(batch or cfg.batch_size, cfg.micro_batch_size).accumulation,
        logging_steps=1, save_strategy="steps", save_steps=cfg.save_every,
        save_total_limit=1, save_only_model=False, report_to=[], disable_tqdm=True, seed=seed, data_seed=seed,
        use_cpu=not on_gpu, bf16=(on_gpu and dtype == "bfloat16") or cfg.bf16_autocast,
        fp16=on_gpu and dtype == "float16" and not cfg.bf16_autocast,
        dataloader_num_workers=0,
    )


def latest_checkpoint(output_dir: Path) -> str | None:
    """The newest complete `checkpoint-N` (has trainer_state.json), for resume after a kill."""
    done = [p for p in Path(output_dir).glob("checkpoint-*") if (p / "trainer_state.json").is_file()]
    if not done:
        return None
    return str(max(done, key=lambda p: int(p.name.split("-")[1])))


def lora_config(cfg: TrainConfig):
    if cfg.lora_rank <= 0:
        return None
    from peft import LoraConfig

    return LoraConfig(r=cfg.lora_rank, lora_alpha=2 * cfg.lora_rank, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules="all-linear")


def save_full_model(model, tokenizer, out_dir: Path) -> None:
    """Save safetensors weights of a full model (LoRA adapters merged in) and its tokenizer."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)


def drop_checkpoints(output_dir: Path) -> None:
    """Checkpoints carry optimizer state (3x the model): remove them once the final model is saved."""
    for path in Path(output_dir).glob("checkpoint-*"):
        shutil.rmtree(path, ignore_errors=True)
