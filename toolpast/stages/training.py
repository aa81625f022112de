"""What SFT and RL share: TRL argument defaults set explicitly, checkpoint resume, and saving a merged model.

TRL's defaults move between versions (docs/method.md section 4), so every option that matters is set here by name.
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


def common_trainer_args(cfg: TrainConfig, output_dir: Path, seed: int, dtype: str,
                        batch: int | None = None) -> dict[str, Any]:
    """Keyword arguments accepted by both trl.SFTConfig and trl.GRPOConfig. `batch`: sequences per optimizer
    step when not cfg.batch_size (GRPO's group), split over devices and micro-batches by toolpast.batching."""
    from toolpast.batching import split_step
    from toolpast.distributed import device_kind

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


def save_stage_model(trainer, tokenizer, workdir: Path, stage: str) -> None:
    """The end of a training stage: its model saved to workdir/model, its checkpoints dropped (main). A model
    holding inf or nan is refused (NonFiniteModel) and its checkpoints dropped too: they hold the run that diverged,
    which a rerun must not resume (the CLI's `--out` is resumed whatever its settings): it trains afresh."""
    from toolpast import distributed
    from toolpast.vectors.errors import NonFiniteModel

    try:
        save_full_model(trainer.model, tokenizer, workdir / "model", trainer, stage)
    except NonFiniteModel:
        if distributed.is_main():
            drop_checkpoints(workdir / "checkpoints")
        raise
    if distributed.is_main():
        drop_checkpoints(workdir / "checkpoints")


def save_full_model(model, tokenizer, out_dir: Path, trainer=None, stage: str = "training") -> None:
    """Save safetensors weights of a full model (LoRA adapters merged in) and its tokenizer, refused when they hold
    inf or nan (`stage` names what trained them in the error).

    With several processes (`trainer` given), every rank must call this: the weights are collected through
    accelerate (`get_state_dict`: under FSDP with FULL_STATE_DICT it gathers the fp32 shards; under DDP every
    rank already holds them), main alone writes, and the ranks leave together. A LoRA model is merged on main
    from its own full copy (DDP), which a sharded LoRA run would not have: that combination is untested.
    Under DeepSpeed (one process or several) the model holds only 16-bit weights: see `save_zero_fp32`."""
    from toolpast import distributed

    engine = deepspeed_engine(trainer)
    learning_rate = getattr(getattr(trainer, "args", None), "learning_rate", None)
    if engine is not None:
        save_zero_fp32(engine, trainer.accelerator, model, tokenizer, out_dir, stage, learning_rate)
        return
    if trainer is None or not distributed.active():
        _write_model(model, tokenizer, out_dir, stage=stage, learning_rate=learning_rate)
        return
    accelerator = trainer.accelerator
    lora = hasattr(model, "merge_and_unload")
    state = None if lora else accelerator.get_state_dict(trainer.model_wrapped)  # a collective when sharded
    if accelerator.is_main_process:
        _write_model(accelerator.unwrap_model(model), tokenizer, out_dir, state, stage, learning_rate)
    accelerator.wait_for_everyone()


def _write_model(model, tokenizer, out_dir: Path, state: dict | None = None, stage: str = "training",
                 learning_rate: float | None = None) -> None:
    """Write a stage model once it is whole on this process: LoRA adapters merged in, `state` (weights gathered
    from other ranks or recovered in fp32) in place of the module's own when given, safetensors, the tokenizer,
    and the weights' digest recorded beside them. Every trained model passes here: weights holding inf or nan are
    refused before anything is written (`toolpast.models.finite`), so no stage publishes them."""
    from toolpast.models.finite import check_finite

    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    rate = "" if learning_rate is None else f" ({learning_rate:g})"
    check_finite(state.items() if state is not None else model.named_parameters(), stage,
                 f"training diverged, most likely from a learning rate{rate} too high: lower it (nothing was saved)")
    model.save_pretrained(out_dir, state_dict=state, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    _record_digest(out_dir)


ZERO_CHECKPOINT_DIR = "zero-fp32.tmp"  # beside the stage's `model`, removed once the model is written
ZERO_CHECKPOINT_TAG = "final"


def deepspeed_engine(trainer):
    """The DeepSpeed engine a trainer runs under, or None. transformers' Trainer sets `is_deepspeed_enabled` from
    accelerate's DeepSpeed plugin (`accelerate launch` with a DeepSpeed config, even with one process, as
    accelerate/zero3_offload_1gpu.yaml) and keeps the engine as `model_wrapped`."""
    if trainer is None or not getattr(trainer, "is_deepspeed_enabled", False):
        return None
    engine = trainer.model_wrapped
    if not hasattr(engine, "save_checkpoint") or not hasattr(engine, "zero_optimization_stage"):
        raise ValueError(f"DeepSpeed is enabled but the trainer's model is a {type(engine).__name__}, not a "
                         "DeepSpeed engine: cannot save its fp32 weights")
    return engine


def save_zero_fp32(engine, accelerator, model, tokenizer, out_dir: Path, stage: str = "training",
                   learning_rate: float | None = None) -> None:
    """Save the fp32 master weights of a DeepSpeed ZeRO stage 1-3 run, the way DeepSpeed documents their recovery.

    Why: DeepSpeed's bf16 mode keeps the fp32 master weights only in the optimizer; the module (what
    `save_pretrained` or accelerate's `get_state_dict` would save) holds bf16, which rounds most 1e-6 RL updates
    and so the skill vector away, and under ZeRO-3 it holds only this rank's partition. So every rank writes its
    partition with the engine's `save_checkpoint` (a collective) into a temporary directory beside `out_dir`,
    main rebuilds the whole fp32 state dict with `deepspeed.utils.zero_to_fp32.
    get_fp32_state_dict_from_zero_checkpoint` (it reads only the files, so optimizer offload to CPU changes
    nothing), writes it with `save_pretrained(state_dict=...)` as safetensors, removes the temporary checkpoint,
    and the ranks leave together. Cost at 7B: the temporary checkpoint holds the fp32 master weights and Adam's m
    and v (12 bytes/parameter, ~85 GiB of disk, as each trainer checkpoint does), and main's host memory holds the
    whole fp32 state dict (4 bytes/parameter: 28.4 GiB) while it is written. One machine, or a workdir every
    node sees: main reads the other ranks' files. LoRA is refused (the checkpoint holds the adapters of a model
    whose base weights main does not have whole)."""
    stage = engine.zero_optimization_stage()
    if stage not in (1, 2, 3):
        raise ValueError(f"DeepSpeed ZeRO stage {stage}: only stages 1-3 can give back fp32 master weights "
                         "(deepspeed zero_to_fp32); set zero_stage 3 (accelerate/zero3_8gpu.yaml)")
    if hasattr(model, "merge_and_unload") or hasattr(accelerator.unwrap_model(model), "peft_config"):
        raise ValueError("LoRA under DeepSpeed is not supported (its fp32 save cannot merge the adapters): set "
                         "lora_rank=0 or launch without DeepSpeed")
    tmp = Path(out_dir).parent / ZERO_CHECKPOINT_DIR
    if accelerator.is_main_process:
        shutil.rmtree(tmp, ignore_errors=True)  # a killed earlier save (maybe another world size) left it
    accelerator.wait_for_everyone()
    engine.save_checkpoint(str(tmp), tag=ZERO_CHECKPOINT_TAG)  # every rank writes its own partition
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        try:
            state = zero_checkpoint_fp32(tmp, ZERO_CHECKPOINT_TAG)
            module = accelerator.unwrap_model(model)
            _write_model(module, tokenizer, out_dir, state, stage, learning_rate)
            del state
            module.config.dtype = "float32"  # save_pretrained wrote the module's bf16; the weights are fp32
            module.config.save_pretrained(out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()


def _zero_to_fp32():
    """DeepSpeed's documented fp32 recovery from a ZeRO checkpoint (the tests fake it here: no DeepSpeed on CPU)."""
    try:
        from deepspeed.utils.zero_to_fp32 import get_fp32_state_dict_from_zero_checkpoint
    except ImportError as error:
        raise ValueError("saving a DeepSpeed run's fp32 weights needs deepspeed: pip install deepspeed") from error
    return get_fp32_state_dict_from_zero_checkpoint


def zero_checkpoint_fp32(checkpoint_dir: Path, tag: str) -> dict[str, torch.Tensor]:
    """The fp32 state dict DeepSpeed rebuilds from a ZeRO checkpoint, refused if any weight is not fp32."""
    state = _zero_to_fp32()(str(checkpoint_dir), tag=tag)
    wrong = sorted({str(t.dtype) for t in state.values() if t.is_floating_point() and t.dtype != torch.float32})
    if wrong:
        raise ValueError(f"the ZeRO checkpoint in {checkpoint_dir} gave {', '.join(wrong)} weights, not fp32: the "
                         "stage model would round the skill vector away")
    return state


def _record_digest(out_dir: Path) -> None:
    """Record the saved weights' digest beside them (`toolpast.models.identity`) while the files are still in the
    page cache: every later extract, inject and leaderboard entry of this model then reuses it, unhashed."""
    from toolpast.models.identity import weights_sha256

    weights_sha256(out_dir, reuse=False)


def check_launch(cfg=None) -> None:
    """Refuse, before any training, a launch whose stage outputs would be wrong. Under DeepSpeed the saved models
    come from the fp32 master weights of a ZeRO checkpoint (`save_zero_fp32`): ZeRO stages 1-3 only, and not
    LoRA. accelerate launch tells the stage through ACCELERATE_DEEPSPEED_ZERO_STAGE (absent with a DeepSpeed json
    file: the engine's stage is then checked when the first model is saved). `cfg`: the run's RunConfig."""
    import os

    if os.environ.get("ACCELERATE_USE_DEEPSPEED", "").lower() != "true":
        return
    stage = os.environ.get("ACCELERATE_DEEPSPEED_ZERO_STAGE")
    if stage is not None and stage not in ("1", "2", "3"):
        raise ValueError(f"DeepSpeed ZeRO stage {stage}: only stages 1-3 can give back the fp32 master weights the "
                         "stage models are saved from; use accelerate/zero3_8gpu.yaml")
    lora = [name for name, train in _train_configs(cfg) if train.lora_rank > 0]
    if lora:
        raise ValueError(f"LoRA under DeepSpeed is not supported ({', '.join(lora)}.lora_rank > 0): its fp32 save "
                         "cannot merge the adapters; set lora_rank=0 or launch without DeepSpeed")


def _train_configs(cfg, prefix: str = "") -> list[tuple[str, TrainConfig]]:
    """Every training stage's settings in a run config (warmup, sft, sft.trajectories, rl), by dotted name."""
    if cfg is None:
        return []
    found = []
    for name in type(cfg).model_fields:
        value = getattr(cfg, name)
        if isinstance(value, TrainConfig):
            found.append((prefix + name, value))
        if hasattr(type(value), "model_fields"):
            found += _train_configs(value, f"{prefix}{name}.")
    return found


def drop_checkpoints(output_dir: Path) -> None:
    """Checkpoints carry optimizer state (3x the model): remove them once the final model is saved."""
    for path in Path(output_dir).glob("checkpoint-*"):
        shutil.rmtree(path, ignore_errors=True)
