"""Checkpoint view: index/single-file layouts, one-tensor reads, pickle refusal, sharding-invariant identity."""

from __future__ import annotations

import json

import pytest
import torch
from vectors_testutil import load_dir, make_model, save

from toolpast.vectors import Checkpoint, CheckpointFormatError, weights_sha256


def test_sharded_index_lists_names_shapes_dtypes(models):
    ckpt = Checkpoint(models["sft"])
    index = json.loads((models["sft"] / "model.safetensors.index.json").read_text())["weight_map"]
    assert set(ckpt.names) == set(index)
    assert len({i.file for i in ckpt.tensors.values()}) >= 3
    info = ckpt.info("model.layers.0.self_attn.k_proj.weight")
    assert info.shape == (16, 32) and info.dtype == "F32" and info.file.name == index[info.name]
    expected = load_dir(models["sft"])
    for name in ckpt.names:
        assert torch.equal(ckpt.get(name), expected[name])
    assert ckpt.non_weight_files() and all(
        not p.name.endswith((".safetensors", ".index.json")) for p in ckpt.non_weight_files()
    )


def test_single_file_and_identity_is_sharding_invariant(models, tmp_path):
    from transformers import LlamaForCausalLM

    single = save(LlamaForCausalLM.from_pretrained(models["sft"]), tmp_path / "single", shard="10MB")
    assert (single / "model.safetensors").is_file() and not (single / "model.safetensors.index.json").exists()
    assert Checkpoint(single).names and sorted(Checkpoint(single).names) == sorted(Checkpoint(models["sft"]).names)
    assert weights_sha256(single) == weights_sha256(models["sft"])
    assert weights_sha256(models["rl"]) != weights_sha256(models["sft"])
    assert weights_sha256(models["sft"]).startswith("sha256:")


def test_refuses_pickle_weights(tmp_path):
    d = tmp_path / "pickled"
    d.mkdir()
    torch.save(make_model(0).state_dict(), d / "pytorch_model.bin")
    (d / "config.json").write_text("{}")
    with pytest.raises(
        CheckpointFormatError, match=r"safetensors only.*pytorch_model\.bin|pytorch_model\.bin.*safetensors only"
    ):
        Checkpoint(d)


def test_reads_are_private_copies(models):
    """In-place ops on a read tensor must not leak into the next read (safetensors may serve reads from mmap)."""
    ckpt = Checkpoint(models["sft"])
    name = "model.embed_tokens.weight"
    first = ckpt.get(name)
    original = first.clone()
    first.add_(1.0)
    assert torch.equal(ckpt.get(name), original)
    assert torch.equal(load_dir(models["sft"])[name], original)  # and the file is untouched
