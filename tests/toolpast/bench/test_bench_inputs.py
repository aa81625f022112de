"""Benchmark inputs: streamed random Llamas load in transformers; perturbed copies differ by the seeded noise."""

from __future__ import annotations

import json

import pytest
import torch

from toolpast.bench.compare import max_abs_diff
from toolpast.bench.inputs import NOISE, RANDOM_SIZES, perturbed_copy, random_llama_family
from toolpast.vectors import Checkpoint, SkillVectorMismatch


@pytest.fixture(scope="module")
def family(tmp_path_factory):
    kwargs, shard = RANDOM_SIZES["tiny"]
    return random_llama_family(kwargs, tmp_path_factory.mktemp("family"), shard)


def test_random_family_is_a_sharded_loadable_llama(family):
    from transformers import LlamaForCausalLM

    assert len([p for p in family["sft"].iterdir() if p.suffix == ".safetensors"]) > 1
    model = LlamaForCausalLM.from_pretrained(family["rl"])
    assert model.config.hidden_size == RANDOM_SIZES["tiny"][0]["hidden_size"]
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()


def test_rl_and_target_are_sft_plus_independent_noise(family):
    sft, rl, target = (Checkpoint(family[k]) for k in ("sft", "rl", "target"))
    name = "model.layers.0.mlp.up_proj.weight"
    d_rl, d_target = rl.get(name) - sft.get(name), target.get(name) - sft.get(name)
    assert float(d_rl.std()) == pytest.approx(NOISE, rel=0.1)
    assert abs(float(torch.nn.functional.cosine_similarity(d_rl.flatten(), d_target.flatten(), dim=0))) < 0.1
    assert torch.equal(sft.get("model.norm.weight"), torch.ones_like(sft.get("model.norm.weight")))


def test_perturbed_copy_keeps_dtypes_and_non_weight_files(family, tmp_path):
    src = family["sft"]
    (src / "tokenizer_config.json").write_text(json.dumps({"marker": "copied"}))
    out = perturbed_copy(src, tmp_path / "copy", seed=5)
    assert json.loads((out / "tokenizer_config.json").read_text()) == {"marker": "copied"}
    a, b = Checkpoint(src), Checkpoint(out)
    assert a.names == b.names and all(a.info(n).dtype == b.info(n).dtype for n in a.names)
    assert 0 < max_abs_diff(src, out) < 10 * NOISE
    assert max_abs_diff(src, src) == 0.0


def test_max_abs_diff_refuses_different_tensor_sets(family, tmp_path):
    from transformers import LlamaConfig, LlamaForCausalLM

    kwargs, _ = RANDOM_SIZES["tiny"]
    other = LlamaForCausalLM(LlamaConfig(**{**kwargs, "num_hidden_layers": 1}))
    other.save_pretrained(tmp_path / "one_layer", safe_serialization=True)
    with pytest.raises(SkillVectorMismatch, match="layers.1"):
        max_abs_diff(family["sft"], tmp_path / "one_layer")
