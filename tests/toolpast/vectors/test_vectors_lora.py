"""A PEFT LoRA adapter materialised as a skill vector equals what PEFT's own merge adds to the base."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from vectors_testutil import load_dir, make_model

from toolpast.vectors import (
    Checkpoint,
    CheckpointFormatError,
    PartialVectorError,
    SkillVectorMismatch,
    VectorManifest,
    extract_skill_vector,
    inject_skill_vector,
    is_lora_adapter_dir,
    lora_to_skill_vector,
)


def _adapter(base_dir, out, seed, **lora_kwargs):
    """Train-free 'RL LoRA': random A and B (B is zero at init, which would make the delta trivially zero)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_dir, use_safetensors=True)
    peft_model = get_peft_model(base, LoraConfig(**lora_kwargs))
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_" in name:
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    peft_model.save_pretrained(out)
    merged = peft_model.merge_and_unload()
    base_sd = load_dir(base_dir)
    return {k: v.detach() - base_sd[k] for k, v in merged.state_dict().items() if k in base_sd}


CASES = {
    "plain": dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "embed_tokens"]),
    "rslora": dict(r=4, lora_alpha=8, use_rslora=True, target_modules=["k_proj", "down_proj"]),
    "patterns": dict(
        r=4,
        lora_alpha=8,
        target_modules=["q_proj", "down_proj"],
        rank_pattern={"down_proj": 2},
        alpha_pattern={"down_proj": 3},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lora_delta_equals_peft_merge(models, tmp_path, case):
    merged_delta = _adapter(models["sft"], tmp_path / "adapter", 3, **CASES[case])
    assert is_lora_adapter_dir(tmp_path / "adapter")
    m = lora_to_skill_vector(tmp_path / "adapter", tmp_path / "v", base_dir=models["sft"])
    vec = load_dir(tmp_path / "v")
    changed = {k for k, d in merged_delta.items() if d.abs().max() > 0}
    assert set(vec) == changed == set(m.tensors)
    for name, v in vec.items():
        torch.testing.assert_close(v, merged_delta[name], rtol=1e-5, atol=1e-6)
    assert m.kind == "lora" and m.base_model.model_type == "llama" and m.sft is not None and m.lora is not None
    assert m.lora.r == 4 and all(s > 0 for s in m.lora.scaling.values())
    if case == "patterns":
        assert m.lora.scaling["model.layers.0.mlp.down_proj.weight"] == 3 / 2
        assert m.lora.scaling["model.layers.0.self_attn.q_proj.weight"] == 8 / 4
    if case == "plain":
        assert m.lora.ignored_tensors == ["base_model.model.model.embed_tokens.base_layer.weight"]
    # the RL-LoRA route through extract_skill_vector gives the same vector, and injection = peft's merge
    extract_skill_vector(tmp_path / "adapter", models["sft"], tmp_path / "v2")
    assert VectorManifest.load(tmp_path / "v2").tensors == m.tensors
    # a LoRA vector covers only the adapter's target modules: injecting it is partial, and must be asked for
    with pytest.raises(PartialVectorError, match="does not cover"):
        inject_skill_vector(models["sft"], tmp_path / "v", 1.0, tmp_path / "merged")
    report = inject_skill_vector(models["sft"], tmp_path / "v", 1.0, tmp_path / "merged", allow_partial=True)
    assert report.allow_partial and set(report.uncovered) == {
        n for n in Checkpoint(models["sft"]).names if n not in m.tensors
    }
    got, base = load_dir(tmp_path / "merged"), load_dir(models["sft"])
    for name, b in base.items():
        torch.testing.assert_close(got[name], b + merged_delta[name], rtol=1e-5, atol=1e-6)


def test_lora_against_wrong_base_and_unsupported_features(models, tmp_path):
    _adapter(models["sft"], tmp_path / "adapter", 3, r=2, lora_alpha=4, target_modules=["q_proj"])
    wide = tmp_path / "wide"
    make_model(0, hidden_size=48).save_pretrained(wide, safe_serialization=True)
    with pytest.raises(
        SkillVectorMismatch, match=r"q_proj\.weight': lora delta shape \[32, 32\] vs base shape \[48, 48\]"
    ):
        lora_to_skill_vector(tmp_path / "adapter", tmp_path / "v", base_dir=wide)
    m = lora_to_skill_vector(tmp_path / "adapter", tmp_path / "v")  # no base: still a vector, identity from config
    assert m.sft is None and m.base_model.name_or_path == str(models["sft"])

    dora = tmp_path / "dora"
    shutil.copytree(tmp_path / "adapter", dora)
    cfg = json.loads((dora / "adapter_config.json").read_text())
    (dora / "adapter_config.json").write_text(json.dumps({**cfg, "use_dora": True}))
    with pytest.raises(CheckpointFormatError, match="use_dora"):
        lora_to_skill_vector(dora, tmp_path / "v_dora")

    pickled = tmp_path / "pickled"
    shutil.copytree(tmp_path / "adapter", pickled)
    (pickled / "adapter_model.safetensors").rename(pickled / "adapter_model.bin")
    with pytest.raises(CheckpointFormatError, match="safetensors only"):
        lora_to_skill_vector(pickled, tmp_path / "v_pickled")
    assert not (tmp_path / "v_dora").exists() and not (tmp_path / "v_pickled").exists()
