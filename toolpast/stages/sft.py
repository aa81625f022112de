"""Supervised fine-tuning with TRL's SFTTrainer: knowledge SFT on docs text, and the protocol warm-up on chats.

Rows are either `{"text": ...}` (language modelling over API docs) or `{"messages": [...]}` (chats, with the
loss on assistant turns only). The stage writes `model/` (full safetensors model) and `train_log.jsonl`; a rerun
resumes from the newest checkpoint, and its log and returned totals (`train_loss`, `num_tokens`) cover the whole
run, not only the steps after the resume (see `resume.py`). Under several processes every rank trains on its
share of each step's batch (toolpast.batching) and main alone writes those files.
"""

from __future__ import annotations

import random
from pathlib import Path

from toolpast import distributed
from toolpast.batching import split_step
from toolpast.config import TrainConfig
from toolpast.models import load_model, load_tokenizer
from toolpast.progress import RichProgressCallback
from toolpast.stages.resume import carry_token_count, checkpoint_step, logged_tokens, truncate_log, whole_run_loss
from toolpast.stages.training import common_trainer_args, latest_checkpoint, lora_config, save_stage_model

TRAINING_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "chatml_training.jinja"


def run_sft(start_model: Path, rows: list[dict], cfg: TrainConfig, workdir: Path, seed: int, dtype: str,
            title: str, callbacks: tuple = ()) -> dict:
    """Fine-tune `start_model` on rows; resumable from the newest checkpoint in workdir/checkpoints.
    `callbacks`: extra TrainerCallbacks."""
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
        per_device_train_batch_size=split_step(cfg.batch_size, cfg.micro_batch_size).micro_batch,
        max_length=cfg.max_length, packing=False,
        dataset_text_field="text", assistant_only_loss=chat,
        chat_template_path=str(TRAINING_TEMPLATE) if chat else None,
        completion_only_loss=None, dataset_num_proc=None,
    )
    from transformers import PrinterCallback

    log_path = workdir / "train_log.jsonl"
    # Several processes (toolpast.distributed): every rank trains (the Trainer takes the process group from
    # accelerate, and the logged metrics are already reduced over the ranks); only main shows progress and
    # writes the log, the model and the cleanup.
    main = distributed.is_main()
    progress = [RichProgressCallback(title, log_path, keys={"loss": "loss"})] if main else []
    trainer = SFTTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tokenizer,
                         peft_config=lora_config(cfg), callbacks=[*progress, *callbacks])
    trainer.remove_callback(PrinterCallback)
    if len(trainer.train_dataset) == 0:  # TRL drops chats left with no trained token; its own error names none
        raise ValueError(f"{title}: none of the {len(rows)} training rows keeps a trained token within "
                         f"max_length={cfg.max_length} tokens; raise that stage's max_length")
    resume = latest_checkpoint(checkpoints)
    if main:
        truncate_log(log_path, below=checkpoint_step(resume) + 1)  # the steps after the checkpoint are replayed
    carry_token_count(trainer, resume)
    trainer.train(resume_from_checkpoint=resume)
    history = trainer.state.log_history  # restored from the checkpoint: the steps before the resume too
    totals = {"train_loss": round(whole_run_loss(history), 4), "num_tokens": logged_tokens(history)}
    save_stage_model(trainer, trainer.processing_class, workdir, title)
    return {**totals, "rows": len(rows), "steps": cfg.steps}
