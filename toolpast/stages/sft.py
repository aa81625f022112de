"""Supervised fine-tuning with TRL's SFTTrainer: knowledge SFT on docs text, and the protocol warm-up on chats.

Rows are either `{"text": ...}` (language modelling over API docs) or `{"messages": [...]}` (chats, with the
loss on assistant turns only). The stage writes `model/` (full safetensors model) and `train_log.jsonl`.
"""

from __future__ import annotations

import random
from pathlib import Path

from toolpast.config import TrainConfig
from toolpast.models import load_model, load_tokenizer
from toolpast.progress import RichProgressCallback
from toolpast.stages.training import (common_trainer_args, drop_checkpoints, latest_checkpoint, lora_config,
                                      save_full_model)

TRAINING_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "chatml_training.jinja"


def run_sft(start_model: Path, rows: list[dict], cfg: TrainConfig, workdir: Path, seed: int, dtype: str,
            title: str) -> dict:
    """Fine-tune `start_model` on rows; resumable from the newest checkpoint in workdir/checkpoints."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    if not rows:
        raise ValueError(f"{title}: no training rows")
    rows = list(rows)
    random.Random(seed).shuffle(rows)
    chat = "messages" in rows[0]
    tokenizer = load_tokenizer(start_model)
    model = load_model(start_model, dtype="float32" if dtype == "float32" else dtype)
    checkpoints = workdir / "checkpoints"
    args = SFTConfig(
        **common_trainer_args(cfg, checkpoints, seed, dtype),
        per_device_train_batch_size=cfg.batch_size, max_length=cfg.max_length, packing=False,
        dataset_text_field="text", assistant_only_loss=chat,
        chat_template_path=str(TRAINING_TEMPLATE) if chat else None,
        completion_only_loss=None, dataset_num_proc=None,
    )
    from transformers import PrinterCallback

    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=lora_config(cfg),
                         callbacks=[RichProgressCallback(title, workdir / "train_log.jsonl", keys={"loss": "loss"})])
    trainer.remove_callback(PrinterCallback)
    result = trainer.train(resume_from_checkpoint=latest_checkpoint(checkpoints))
    save_full_model(trainer.model, trainer.processing_class, workdir / "model")
    drop_checkpoints(checkpoints)
    return {"train_loss": round(float(result.training_loss), 4), "rows": len(rows), "steps": cfg.steps}
