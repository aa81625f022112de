"""A DeepSpeed stage model is saved from the fp32 master weights of a ZeRO checkpoint, not the module's bf16 copy.

DeepSpeed is not installed here: it is faked at its boundary only. The engine's `save_checkpoint` writes one
partition file per rank as a ZeRO checkpoint does, and `deepspeed.utils.zero_to_fp32`'s conversion returns a known
fp32 state dict that differs from the module's bf16 weights (as an RL update of 1e-6 does)."""

from __future__ import annotations

import json
import sys
import threading
import types
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

import toolpast.stages.training as training
from toolpast.stages.training import (
    ZERO_CHECKPOINT_DIR,
    ZERO_CHECKPOINT_TAG,
    check_launch,
    deepspeed_engine,
    save_full_model,
)


class FakeEngine:
    """DeepSpeed's engine: `save_checkpoint` writes this rank's partition of a ZeRO checkpoint."""

    def __init__(self, rank: int, stage: int = 3):
        self.rank, self.stage, self.saved = rank, stage, []

    def zero_optimization_stage(self) -> int:
        return self.stage

    def save_checkpoint(self, save_dir: str, tag: str | None = None) -> None:
        folder = Path(save_dir) / tag
        folder.mkdir(parents=True, exist_ok=True)
        torch.save({"rank": self.rank}, folder / f"bf16_zero_pp_rank_{self.rank}_mp_rank_00_optim_states.pt")
        if self.rank == 0:
            (Path(save_dir) / "latest").write_text(tag)
        self.saved.append(save_dir)


class FakeAccelerator:
    def __init__(self, rank: int, barrier: threading.Barrier):
        self.is_main_process, self.barrier = rank == 0, barrier

    def wait_for_everyone(self) -> None:
        self.barrier.wait(timeout=120)

    def unwrap_model(self, model):
        return model


class FakeTrainer:
    is_deepspeed_enabled = True

    def __init__(self, rank: int, barrier: threading.Barrier, stage: int = 3):
        self.model_wrapped, self.accelerator = FakeEngine(rank, stage), FakeAccelerator(rank, barrier)


@pytest.fixture
def bf16_model(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).to(torch.bfloat16)


@pytest.fixture
def master(tiny_model_dir) -> dict[str, torch.Tensor]:
    """The fp32 master weights the optimizer holds: the model's fp32 weights plus 1e-6 (below bf16's resolution)."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(1e-6)
    return {name: tensor.detach() for name, tensor in model.state_dict().items()}  # tied weights stay shared


@pytest.fixture
def conversion(monkeypatch, master):
    """Fake `deepspeed.utils.zero_to_fp32.get_fp32_state_dict_from_zero_checkpoint`: records what each call found
    in the checkpoint, returns `master`."""
    calls = []

    def get_fp32_state_dict_from_zero_checkpoint(checkpoint_dir, tag=None):
        folder = Path(checkpoint_dir) / tag
        calls.append({"dir": Path(checkpoint_dir), "thread": threading.current_thread().name,
                      "files": sorted(p.name for p in folder.iterdir())})
        return dict(master)

    monkeypatch.setattr(training, "_zero_to_fp32", lambda: get_fp32_state_dict_from_zero_checkpoint)
    return calls


def _save_on_ranks(model, tokenizer, out: Path, ranks: int, stage: int = 3) -> tuple[list, list]:
    """Run save_full_model as `ranks` ranks (threads meeting at the accelerator's barrier); who wrote what."""
    barrier = threading.Barrier(ranks)
    trainers = [FakeTrainer(rank, barrier, stage) for rank in range(ranks)]
    writers, errors = [], []
    for obj in (model, tokenizer):
        original = obj.save_pretrained

        def recording(*args, _original=original, **kwargs):
            writers.append(threading.current_thread().name)
            return _original(*args, **kwargs)

        obj.save_pretrained = recording

    def rank_main(rank: int) -> None:
        try:
            save_full_model(model, tokenizer, out, trainers[rank])
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append((rank, error))
            barrier.abort()

    threads = [threading.Thread(target=rank_main, args=(rank,), name=f"rank{rank}") for rank in range(ranks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0][1]
    return trainers, writers


def test_two_ranks_save_the_fp32_master_weights_from_main(bf16_model, master, conversion, tiny_model_dir, tmp_path,
                                                          monkeypatch):
    from toolpast.models import load_tokenizer

    monkeypatch.setenv("WORLD_SIZE", "2")  # as the launcher sets it (the ranks here are threads of one process)
    out = tmp_path / "model"
    stale = tmp_path / ZERO_CHECKPOINT_DIR / ZERO_CHECKPOINT_TAG
    stale.mkdir(parents=True)
    (stale / "bf16_zero_pp_rank_7_mp_rank_00_optim_states.pt").write_bytes(b"from a killed 8-rank save")
    trainers, writers = _save_on_ranks(bf16_model, load_tokenizer(tiny_model_dir), out, ranks=2)

    assert [t.model_wrapped.saved for t in trainers] == [[str(tmp_path / ZERO_CHECKPOINT_DIR)]] * 2  # collective
    assert len(conversion) == 1 and conversion[0]["thread"] == "rank0"  # main alone rebuilds and writes
    assert conversion[0]["files"] == [f"bf16_zero_pp_rank_{r}_mp_rank_00_optim_states.pt" for r in (0, 1)]
    assert set(writers) == {"rank0"}
    assert not (tmp_path / ZERO_CHECKPOINT_DIR).exists()  # the temporary ZeRO checkpoint is gone
    saved = load_file(out / "model.safetensors")
    assert set(saved) <= set(master) and "model.embed_tokens.weight" in saved
    bf16 = bf16_model.state_dict()
    differ = 0
    for name, tensor in saved.items():
        assert tensor.dtype == torch.float32 and torch.equal(tensor, master[name]), name
        differ += int(not torch.equal(tensor, bf16[name].float()))
    assert differ == len(saved)  # every saved weight is the master copy, none the bf16 one
    assert json.loads((out / "config.json").read_text())["dtype"] == "float32"
    assert (out / "tokenizer_config.json").is_file()


def test_one_process_under_deepspeed_saves_fp32_too(bf16_model, master, conversion, tiny_model_dir, tmp_path,
                                                    monkeypatch):
    """accelerate/zero3_offload_1gpu.yaml runs one process (WORLD_SIZE 1): DeepSpeed decides, not the rank count."""
    from toolpast.models import load_tokenizer

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    out = tmp_path / "model"
    _save_on_ranks(bf16_model, load_tokenizer(tiny_model_dir), out, ranks=1)
    saved = load_file(out / "model.safetensors")
    assert all(torch.equal(tensor, master[name]) for name, tensor in saved.items())
    assert not (tmp_path / ZERO_CHECKPOINT_DIR).exists()


def test_a_non_fp32_recovery_is_refused_and_cleaned(bf16_model, conversion, master, tiny_model_dir, tmp_path):
    from toolpast.models import load_tokenizer

    master["model.embed_tokens.weight"] = master["model.embed_tokens.weight"].to(torch.bfloat16)
    with pytest.raises(ValueError, match="gave torch.bfloat16 weights, not fp32"):
        _save_on_ranks(bf16_model, load_tokenizer(tiny_model_dir), tmp_path / "model", ranks=1)
    assert not (tmp_path / ZERO_CHECKPOINT_DIR).exists()
    assert not (tmp_path / "model" / "model.safetensors").exists()


def test_zero_stage_0_and_lora_are_refused_at_save(bf16_model, conversion, tiny_model_dir, tmp_path):
    from toolpast.models import load_tokenizer

    tokenizer = load_tokenizer(tiny_model_dir)
    with pytest.raises(ValueError, match="ZeRO stage 0: only stages 1-3"):
        _save_on_ranks(bf16_model, tokenizer, tmp_path / "model", ranks=1, stage=0)
    bf16_model.merge_and_unload = lambda: None  # what a PEFT model has
    with pytest.raises(ValueError, match="LoRA under DeepSpeed is not supported"):
        _save_on_ranks(bf16_model, tokenizer, tmp_path / "model", ranks=1)
    assert conversion == []


def test_without_deepspeed_installed_the_save_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "deepspeed", None)  # an import of it fails, as on this machine
    with pytest.raises(ValueError, match="needs deepspeed: pip install deepspeed"):
        training.zero_checkpoint_fp32(Path("unused"), ZERO_CHECKPOINT_TAG)


def test_deepspeed_is_detected_from_the_trainer():
    assert deepspeed_engine(None) is None
    plain = types.SimpleNamespace(is_deepspeed_enabled=False, model_wrapped=object())
    assert deepspeed_engine(plain) is None
    assert deepspeed_engine(types.SimpleNamespace(model_wrapped=object())) is None  # not a transformers Trainer
    trainer = FakeTrainer(0, threading.Barrier(1))
    assert deepspeed_engine(trainer) is trainer.model_wrapped
    with pytest.raises(ValueError, match="not a DeepSpeed engine"):
        deepspeed_engine(types.SimpleNamespace(is_deepspeed_enabled=True, model_wrapped=torch.nn.Linear(1, 1)))


def test_launch_check_reads_accelerates_deepspeed_environment(monkeypatch):
    from toolpast.tooluse.presets import get_preset

    cfg = get_preset("smoke").model_copy(update={"target": "finance"})
    monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", "0")
    check_launch(cfg)  # not DeepSpeed: the variable alone means nothing
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "true")
    with pytest.raises(ValueError, match="ZeRO stage 0: only stages 1-3"):
        check_launch(cfg)
    for stage in ("1", "2", "3"):
        monkeypatch.setenv("ACCELERATE_DEEPSPEED_ZERO_STAGE", stage)
        check_launch(cfg)
    monkeypatch.delenv("ACCELERATE_DEEPSPEED_ZERO_STAGE")
    check_launch(cfg)  # a DeepSpeed json file: the engine's stage is checked at the first save
    lora = cfg.model_copy(update={"sft": cfg.sft.model_copy(update={
        "trajectories": cfg.sft.trajectories.model_copy(update={"lora_rank": 8})})})
    with pytest.raises(ValueError, match=r"LoRA under DeepSpeed is not supported \(sft.trajectories.lora_rank"):
        check_launch(lora)
    monkeypatch.setenv("ACCELERATE_USE_DEEPSPEED", "false")
    check_launch(lora)  # LoRA without DeepSpeed is fine
