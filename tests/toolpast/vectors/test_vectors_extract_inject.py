"""extract -> inject against the in-memory formula, bf16 survival, mismatches, tied embeddings, loadability."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file
from vectors_testutil import OUT_SHARD_BYTES, load_dir, make_model, perturb, save

from toolpast.vectors import (
    Checkpoint,
    InjectReport,
    SkillVectorMismatch,
    VectorManifest,
    extract_skill_vector,
    inject_skill_vector,
    weights_sha256,
)


def test_vector_is_rl_minus_sft_with_manifest(models, vector_dir):
    rl, sft, vec = load_dir(models["rl"]), load_dir(models["sft"]), load_dir(vector_dir)
    assert set(vec) == set(rl)
    for name, v in vec.items():
        assert v.dtype == torch.float32
        assert torch.equal(v, rl[name].float() - sft[name].float()), name
    m = VectorManifest.load(vector_dir)
    assert m.kind == "full_diff" and m.dtype == "float32" and set(m.tensors) == set(rl)
    assert m.base_model.model_type == "llama" and m.base_model.hidden_size == 32
    assert m.base_model.architectures == ["LlamaForCausalLM"]
    assert m.rl.weights_sha256 == weights_sha256(models["rl"]) != m.sft.weights_sha256
    for name, e in m.tensors.items():
        assert e.shape == list(rl[name].shape)
        assert e.l2_norm == pytest.approx(float(vec[name].norm()), rel=1e-5)
    assert m.total_l2_norm == pytest.approx(float(torch.cat([v.flatten() for v in vec.values()]).norm()), rel=1e-5)
    assert m.num_parameters == sum(v.numel() for v in vec.values())
    assert len(m.shard_files) > 1 and (vector_dir / "vector.safetensors.index.json").is_file()


@pytest.mark.parametrize("lam", [0.0, 0.5, 1.0])
def test_inject_matches_in_memory_formula(models, vector_dir, tmp_path, lam):
    report = inject_skill_vector(models["target"], vector_dir, lam, tmp_path / "out", shard_max_bytes=OUT_SHARD_BYTES)
    rl, sft, tgt = load_dir(models["rl"]), load_dir(models["sft"]), load_dir(models["target"])
    got = load_dir(tmp_path / "out")
    assert set(got) == set(tgt)
    for name, t in tgt.items():
        expected = t.float() + lam * (rl[name].float() - sft[name].float())
        assert got[name].dtype == t.dtype
        torch.testing.assert_close(got[name], expected, rtol=1e-6, atol=1e-7)
    if lam == 0.0:
        for name, t in tgt.items():
            assert torch.equal(got[name], t) and got[name].view(torch.int32).equal(t.view(torch.int32))
        assert weights_sha256(tmp_path / "out") == weights_sha256(models["target"])
        assert report.surviving_fraction is None and report.tensors_modified == 0
    else:
        assert report.tensors_modified == len(tgt) and report.tensors_copied == 0
        assert report.surviving_fraction == pytest.approx(1.0, abs=1e-3)  # fp32 target keeps the update
    on_disk = InjectReport.model_validate_json((tmp_path / "out" / "past_manifest.json").read_text())
    assert on_disk == report and on_disk.lam == lam
    assert report.vector_rl_sha256 == weights_sha256(models["rl"])


def test_sharded_output_loads_with_from_pretrained(models, vector_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    out = tmp_path / "out"
    report = inject_skill_vector(models["target"], vector_dir, 0.5, out, shard_max_bytes=OUT_SHARD_BYTES)
    assert len(report.shard_files) > 1 and (out / "model.safetensors.index.json").is_file()
    for f in ("config.json", "generation_config.json", "tokenizer_config.json", "special_tokens_map.json"):
        assert (out / f).read_bytes() == (models["target"] / f).read_bytes()
        assert f in report.copied_files
    model = AutoModelForCausalLM.from_pretrained(out, use_safetensors=True)
    on_disk = load_dir(out)
    state = model.state_dict()
    for name, t in on_disk.items():
        assert torch.equal(state[name], t), name
    with torch.no_grad():
        assert torch.isfinite(model(torch.arange(8)[None]).logits).all()
    # a single-shard output is HF's unsharded layout
    inject_skill_vector(models["target"], vector_dir, 0.5, tmp_path / "one", shard_max_bytes=10**9)
    assert (tmp_path / "one" / "model.safetensors").is_file()
    assert not (tmp_path / "one" / "model.safetensors.index.json").exists()
    AutoModelForCausalLM.from_pretrained(tmp_path / "one", use_safetensors=True)


def test_bf16_surviving_fraction(models, tmp_path):
    sft = make_model(0)
    target = save(make_model(2), tmp_path / "target_bf16", dtype=torch.bfloat16)
    fractions = {}
    for label, scale in (("tiny", 1e-6), ("large", 0.1)):
        rl = save(perturb(sft, 1, scale), tmp_path / f"rl_{label}")
        vec = tmp_path / f"v_{label}"
        extract_skill_vector(rl, models["sft"], vec, hash_sources=False)
        rep = inject_skill_vector(target, vec, 1.0, tmp_path / f"out_{label}", hash_inputs=False)
        assert all(p.dtype == "BF16" for p in rep.per_tensor.values())
        assert all(t.dtype == torch.bfloat16 for t in load_dir(tmp_path / f"out_{label}").values())
        fractions[label] = rep
    assert fractions["tiny"].surviving_fraction < 0.5
    assert fractions["tiny"].worst_surviving_fraction <= fractions["tiny"].surviving_fraction
    assert fractions["large"].surviving_fraction == pytest.approx(1.0, abs=0.02)
    assert fractions["large"].worst_tensor in fractions["large"].per_tensor
    saved = json.loads((tmp_path / "out_tiny" / "past_manifest.json").read_text())
    assert saved["surviving_fraction"] == pytest.approx(fractions["tiny"].surviving_fraction)


def test_mismatched_hidden_size_names_tensor_and_both_shapes(models, tmp_path):
    wide = save(make_model(3, hidden_size=48), tmp_path / "wide")
    with pytest.raises(SkillVectorMismatch) as ei:
        extract_skill_vector(wide, models["sft"], tmp_path / "v")
    err = ei.value
    rl_shape, sft_shape = Checkpoint(wide).info(err.tensor).shape, Checkpoint(models["sft"]).info(err.tensor).shape
    assert rl_shape != sft_shape and err.shapes == {"rl": rl_shape, "sft": sft_shape}
    assert Checkpoint(wide).names[0] == err.tensor  # the first tensor, in rl's storage order
    assert str(err) == f"tensor {err.tensor!r}: rl shape {list(rl_shape)} vs sft shape {list(sft_shape)}"
    assert not (tmp_path / "v").exists() and not list(tmp_path.glob("v.partial-*"))


def test_missing_tensor_is_named(models, tmp_path):
    sft = load_dir(models["sft"])
    del sft["model.layers.1.mlp.up_proj.weight"]
    d = tmp_path / "pruned"
    d.mkdir()
    save_file(sft, str(d / "model.safetensors"), metadata={"format": "pt"})
    (d / "config.json").write_bytes((models["sft"] / "config.json").read_bytes())
    with pytest.raises(
        SkillVectorMismatch, match=r"'model.layers.1.mlp.up_proj.weight': rl shape \[64, 32\] vs missing in sft"
    ):
        extract_skill_vector(models["rl"], d, tmp_path / "v")
    with pytest.raises(
        SkillVectorMismatch, match=r"'model.layers.1.mlp.up_proj.weight': missing in rl vs sft shape \[64, 32\]"
    ):
        extract_skill_vector(d, models["rl"], tmp_path / "v")


def test_inject_refuses_vector_the_model_cannot_take(models, vector_dir, tmp_path):
    wide = save(make_model(3, hidden_size=48), tmp_path / "wide")
    with pytest.raises(SkillVectorMismatch) as ei:
        inject_skill_vector(wide, vector_dir, 1.0, tmp_path / "out")
    assert ei.value.shapes == {"model": (128, 48), "vector": (128, 32)}
    shallow = save(make_model(3, num_hidden_layers=1), tmp_path / "shallow")
    with pytest.raises(
        SkillVectorMismatch, match=r"'model\.layers\.1\..*': vector shape \[\d+(, \d+)*\] vs missing in model"
    ):
        inject_skill_vector(shallow, vector_dir, 1.0, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tied_embeddings_saved_once_and_applied_to_untied_storage(tmp_path):
    """Tied models whose files hold both copies: one delta stored; a target storing lm_head gets it too."""
    base = make_model(0, tie_word_embeddings=True)

    def write_both(model, name):  # an exporter that writes lm_head.weight even though it is tied
        d = save(model, tmp_path / name)
        sd = load_dir(d)
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"].clone()
        for f in d.glob("*.safetensors*"):
            f.unlink()
        save_file(sd, str(d / "model.safetensors"), metadata={"format": "pt"})
        return d

    sft, rl = write_both(base, "sft"), write_both(perturb(base, 1, 0.01), "rl")
    m = extract_skill_vector(rl, sft, tmp_path / "v", hash_sources=False)
    assert m.tied == {"lm_head.weight": "model.embed_tokens.weight"}
    assert "lm_head.weight" not in load_dir(tmp_path / "v") and "lm_head.weight" not in m.tensors

    target = write_both(make_model(2, tie_word_embeddings=True), "target")
    # lam != 1 so that applying lam twice to the shared vector tensor (read once per alias) would show
    rep = inject_skill_vector(target, tmp_path / "v", 0.5, tmp_path / "out", hash_inputs=False)
    got, tgt, v = load_dir(tmp_path / "out"), load_dir(target), load_dir(tmp_path / "v")
    delta = 0.5 * v["model.embed_tokens.weight"]
    torch.testing.assert_close(got["lm_head.weight"], tgt["lm_head.weight"] + delta, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(
        got["model.embed_tokens.weight"], tgt["model.embed_tokens.weight"] + delta, rtol=1e-6, atol=1e-7
    )
    assert rep.per_tensor["lm_head.weight"].vector_tensor == "model.embed_tokens.weight"

    # the HF-saved tied target (no lm_head in the files) takes the vector too and loads
    from transformers import AutoModelForCausalLM

    hf_target = save(make_model(2, tie_word_embeddings=True), tmp_path / "hf_target")
    assert "lm_head.weight" not in load_dir(hf_target)
    inject_skill_vector(hf_target, tmp_path / "v", 1.0, tmp_path / "out2", hash_inputs=False)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out2", use_safetensors=True)
    assert torch.equal(model.lm_head.weight, model.model.embed_tokens.weight)
