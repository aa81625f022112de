"""In-memory single-passage LoRA: it learns, the base comes back bit for bit, and in-memory PaST equals the
streaming on-disk injection exactly."""

import pytest
import torch

from toolpast.models import load_model, load_tokenizer
from toolpast.qa.config import PassageSFTConfig
from toolpast.qa.passage_sft import PassageAdapter, load_vector

CFG = PassageSFTConfig(lora_rank=4, lora_alpha=8, learning_rate=1e-2, epochs=3, batch_size=2, max_length=64)
TEXTS = ["Apollo\nThe Apollo program landed on the Moon in 1969.", "Apollo\nIt was run by NASA.",
         "Apollo\nNeil Armstrong walked first."]


def _state(model):
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def _loss(model, tokenizer, text):
    ids = torch.tensor([tokenizer(text)["input_ids"]])
    with torch.no_grad():
        return float(model(input_ids=ids, labels=ids).loss)


def test_adapter_learns_then_restores_the_base_exactly(tiny_model_dir):
    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    adapter = PassageAdapter(model, tok)
    before, loss_before = _state(model), _loss(model, tok, TEXTS[0])
    for seed in (0, 1):  # a second adapter on the same model: peft leaves nothing behind
        with adapter.adapted(TEXTS, CFG, seed=seed) as stats:
            assert stats["steps"] == 3 * 2
            assert _loss(model, tok, TEXTS[0]) < loss_before - 0.05
            assert not any("lora" in n for n, _ in model.named_parameters())
        after = _state(model)
        assert all(torch.equal(before[n], after[n]) for n in before)


def test_same_seed_same_adapter(tiny_model_dir):
    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    adapter = PassageAdapter(model, tok)
    with adapter.adapted(TEXTS, CFG, seed=3):
        first = _state(model)
    with adapter.adapted(TEXTS, CFG, seed=3):
        second = _state(model)
    assert all(torch.equal(first[n], second[n]) for n in first)


def test_in_memory_past_equals_streaming_inject(tiny_model_dir, tmp_path):
    from toolpast.vectors import extract_skill_vector, inject_skill_vector

    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    # a nonzero skill vector: one adapter's merged weights minus the base
    adapter = PassageAdapter(model, tok)
    with adapter.adapted(TEXTS[:1], CFG, seed=7):
        model.save_pretrained(tmp_path / "rl")
        tok.save_pretrained(tmp_path / "rl")
    extract_skill_vector(tmp_path / "rl", tiny_model_dir, tmp_path / "vector")
    vector, tied = load_vector(tmp_path / "vector")
    assert any(v.abs().sum() > 0 for v in vector.values())

    with adapter.adapted(TEXTS, CFG, seed=0):
        model.save_pretrained(tmp_path / "sft")
        tok.save_pretrained(tmp_path / "sft")
        kept = adapter.add_vector(vector, tied, lam=0.7)
        in_memory = _state(model)
    assert abs(kept - 1.0) < 1e-6  # fp32 model: lam * v survives up to fp32 rounding of the sum
    inject_skill_vector(tmp_path / "sft", tmp_path / "vector", 0.7, tmp_path / "past")
    on_disk = dict(load_model(tmp_path / "past", dtype="float32").named_parameters())
    assert all(torch.equal(in_memory[n], on_disk[n].detach()) for n in in_memory)
    restored = _state(model)
    base = dict(load_model(tiny_model_dir, dtype="float32").named_parameters())
    assert all(torch.equal(restored[n], base[n].detach()) for n in restored)


def test_in_memory_past_refuses_weights_that_overflow(tiny_model_dir):
    """`qa squad --lam 1e39` evaluated PaST on all-NaN weights: the in-memory injection had no finiteness check.
    A lambda float32 holds can still overflow the weights: refused, naming the tensor and lambda, base restored."""
    from toolpast.vectors.errors import NonFiniteModel

    model, tok = load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir)
    adapter, before = PassageAdapter(model, tok), _state(model)
    vector = {name: torch.full_like(p, 4.0) for name, p in model.named_parameters()}
    with pytest.raises(NonFiniteModel, match=r"^PaST injection \(in memory\): tensor '[\w.]+' holds inf or nan; "
                                             r"lambda 1e\+38 \* v overflows torch.float32: lower lambda$"):
        with adapter.adapted(TEXTS[:1], CFG, seed=0):
            adapter.add_vector(vector, {}, 1e38)
    assert all(torch.equal(before[n], p) for n, p in model.named_parameters())
