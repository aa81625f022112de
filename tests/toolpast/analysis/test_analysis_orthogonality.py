"""The orthogonality analysis on tiny Llamas whose updates have a geometry known by construction."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from toolpast.analysis import OrthogonalityReport, analyze_orthogonality
from toolpast.analysis.dots import dot64
from toolpast.analysis.modules import layer_index, module_type
from toolpast.cli import main
from toolpast.vectors import ResidencyMeter, SkillVectorMismatch

TINY = {"vocab_size": 128, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2}  # fmt: skip
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Update = Callable[[str, torch.Tensor, torch.Generator], torch.Tensor]


def _model(seed: int, **overrides):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    return LlamaForCausalLM(LlamaConfig(**{**TINY, **overrides})).eval()


def _save(model, path: Path, shard: str = "40KB") -> Path:
    model.save_pretrained(path, safe_serialization=True, max_shard_size=shard)
    return path


def _derive(model, path: Path, seed: int, update: Update) -> Path:
    """Save `model` with every parameter p replaced by p + update(name, p, generator); returns the path."""
    import copy

    g = torch.Generator().manual_seed(seed)
    out = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in out.named_parameters():
            p.add_(update(name, p.detach().clone(), g))
    return _save(out, path)


def _noise(scale: float) -> Update:
    return lambda name, p, g: torch.randn(p.shape, generator=g) * scale


def _load(path: Path) -> dict[str, torch.Tensor]:
    out = {}
    for f in sorted(path.glob("*.safetensors")):
        with safe_open(str(f), framework="pt") as h:
            out.update({k: h.get_tensor(k) for k in h.keys()})
    return out


@pytest.fixture(scope="module")
def base_and_sft(tmp_path_factory):
    root = tmp_path_factory.mktemp("ortho")
    base = _model(0)
    sft_updates: dict[str, torch.Tensor] = {}

    def record(name, p, g):
        sft_updates[name] = torch.randn(p.shape, generator=g) * 0.01
        return sft_updates[name]

    _save(base, root / "base")
    sft_dir = _derive(base, root / "sft", 1, record)
    from transformers import LlamaForCausalLM

    sft = LlamaForCausalLM.from_pretrained(sft_dir).eval()
    return root, base, sft, sft_updates


def _rl(base_and_sft, label: str, update: Update) -> Path:
    root, _, sft, _ = base_and_sft
    return _derive(sft, root / f"rl_{label}", 7, update)


def _orthogonal_to_sft(sft_updates):
    def update(name, p, g):
        r = torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.01
        s = sft_updates[name].double()
        return (r - (r * s).sum() / (s * s).sum() * s).float()  # Gram-Schmidt against this tensor's dSFT

    return update


def test_orthogonal_rl_update_has_cosine_zero(base_and_sft, tmp_path):
    root, _, _, sft_updates = base_and_sft
    rl = _rl(base_and_sft, "orth", _orthogonal_to_sft(sft_updates))
    report = analyze_orthogonality(root / "base", root / "sft", rl, tmp_path)
    assert abs(report.overall.cos_sft_rl) < 1e-4
    for stats in [*report.per_tensor.values(), *report.per_layer.values(), *report.per_module.values()]:
        assert abs(stats.cos_sft_rl) < 1e-4
    assert report.overall.cos_sft_control is None and report.control_sft_dir is None
    overall = report.overall
    assert overall.rel_norm_sft == pytest.approx(overall.norm_sft / math.sqrt(overall.sums.sq_base))


@pytest.mark.parametrize("factor, expected", [(2.0, 1.0), (-1.0, -1.0)])
def test_parallel_rl_update_has_cosine_plus_minus_one(base_and_sft, tmp_path, factor, expected):
    root, _, _, sft_updates = base_and_sft
    rl = _rl(base_and_sft, f"x{factor}", lambda name, p, g: factor * sft_updates[name])
    report = analyze_orthogonality(root / "base", root / "sft", rl, tmp_path)
    assert report.overall.cos_sft_rl == pytest.approx(expected, abs=1e-5)
    assert all(t.cos_sft_rl == pytest.approx(expected, abs=1e-4) for t in report.per_tensor.values())
    assert report.overall.norm_rl == pytest.approx(abs(factor) * report.overall.norm_sft, rel=1e-4)


def test_aggregates_match_brute_force(base_and_sft, tmp_path):
    """Per layer, module and cell, the cosine is that of the concatenated updates, computed here in memory."""
    root, base, _, _ = base_and_sft
    rl = _rl(base_and_sft, "noise", _noise(0.003))
    control = _derive(base, root / "control", 11, _noise(0.01))
    report = analyze_orthogonality(root / "base", root / "sft", rl, tmp_path, control_sft_dir=control)
    b, s, r, c = (_load(p) for p in (root / "base", root / "sft", rl, control))
    assert set(report.per_tensor) == set(b)
    d_sft = {n: (s[n] - b[n]).double() for n in b}  # differences in fp32, as the analysis streams them
    d_rl = {n: (r[n] - s[n]).double() for n in b}
    d_ctrl = {n: (c[n] - b[n]).double() for n in b}
    b = {n: t.double() for n, t in b.items()}

    def sq(x, names):
        return sum(float((x[n] ** 2).sum()) for n in names)

    def cos(x, y, names):
        return sum(float((x[n] * y[n]).sum()) for n in names) / math.sqrt(sq(x, names) * sq(y, names))

    groups = {("layer", i): [n for n in b if layer_index(n) == i] for i in range(TINY["num_hidden_layers"])}
    groups |= {("module", m): [n for n in b if module_type(n) == m] for m in report.modules}
    groups[("all", None)] = list(b)
    for (kind, key), names in groups.items():
        stats = {"layer": report.per_layer, "module": report.per_module}[kind][key] if kind != "all" else report.overall
        assert stats.cos_sft_rl == pytest.approx(cos(d_sft, d_rl, names), abs=1e-9), (kind, key)
        assert stats.cos_sft_control == pytest.approx(cos(d_sft, d_ctrl, names), abs=1e-9), (kind, key)
        assert stats.rel_norm_rl == pytest.approx(math.sqrt(sq(d_rl, names) / sq(b, names)), rel=1e-9)
    for cell in report.cells:
        names = [n for n in b if module_type(n) == cell.module and layer_index(n) == cell.layer]
        assert cell.stats.cos_sft_rl == pytest.approx(cos(d_sft, d_rl, names), abs=1e-9)
    assert report.modules == ["embed_tokens", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                              "down_proj", "norm", "lm_head"]  # fmt: skip
    assert report.layers == [0, 1]


def test_writes_valid_png_and_round_tripping_json(base_and_sft, tmp_path):
    root, base, _, _ = base_and_sft
    rl = _rl(base_and_sft, "noise", _noise(0.003))
    control = _derive(base, root / "control2", 12, _noise(0.01))
    report = analyze_orthogonality(root / "base", root / "sft", rl, tmp_path / "out", control_sft_dir=control)
    png = (tmp_path / "out" / "orthogonality.png").read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 300 and height > 300
    text = (tmp_path / "out" / "orthogonality.json").read_text()
    assert OrthogonalityReport.model_validate_json(text) == report
    assert json.loads(text)["format"] == "toolpast.orthogonality"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["orthogonality.json", "orthogonality.png"]


def test_tied_embeddings_are_counted_once(tmp_path):
    base = _model(3, tie_word_embeddings=True)
    _save(base, tmp_path / "base")
    sft = _derive(base, tmp_path / "sft", 1, _noise(0.01))
    rl = _derive(base, tmp_path / "rl", 2, _noise(0.02))
    report = analyze_orthogonality(tmp_path / "base", sft, rl, tmp_path / "out")
    assert "lm_head" not in report.modules and "lm_head.weight" not in report.per_tensor
    assert "model.embed_tokens.weight" in report.per_tensor


def test_untied_config_with_equal_lm_head_counts_it_once(tmp_path):
    base = _model(4)
    with torch.no_grad():
        base.lm_head.weight.copy_(base.model.embed_tokens.weight)
    _save(base, tmp_path / "base")
    noise: dict[str, torch.Tensor] = {}

    def same_update_for_both(name, p, g):  # embed_tokens comes first in named_parameters
        key = "model.embed_tokens.weight" if name == "lm_head.weight" else name
        return noise.setdefault(key, torch.randn(p.shape, generator=g) * 0.01)

    sft = _derive(base, tmp_path / "sft", 1, same_update_for_both)
    noise.clear()
    rl = _derive(base, tmp_path / "rl", 2, same_update_for_both)
    report = analyze_orthogonality(tmp_path / "base", sft, rl, tmp_path / "out")
    assert report.tied == {"lm_head.weight": "model.embed_tokens.weight"}
    assert "lm_head" not in report.modules and "lm_head.weight" not in report.per_tensor


def test_mismatched_checkpoints_name_the_tensor_and_shapes(base_and_sft, tmp_path):
    root, _, _, _ = base_and_sft
    other = _save(_model(5, intermediate_size=48), tmp_path / "wide")
    with pytest.raises(SkillVectorMismatch) as info:
        analyze_orthogonality(root / "base", root / "sft", other, tmp_path / "out")
    assert "mlp" in info.value.tensor and info.value.shapes["rl"] in {(48, 32), (32, 48)}
    assert not (tmp_path / "out").exists()


def test_memory_is_a_few_tensors_whatever_the_depth(tmp_path):
    peaks = {}
    for layers in (2, 6):
        root = tmp_path / f"L{layers}"
        base = _model(6, num_hidden_layers=layers)
        _save(base, root / "base")
        paths = [_derive(base, root / label, seed, _noise(0.01)) for seed, label in enumerate(("sft", "rl", "ctrl"))]
        meter = ResidencyMeter()
        analyze_orthogonality(root / "base", *paths[:2], root / "out", control_sft_dir=paths[2], meter=meter)
        peaks[layers] = (meter.peak_bytes, meter.largest_tensor_bytes)
    assert peaks[2] == peaks[6]  # independent of the number of layers
    peak, largest = peaks[6]
    assert peak <= 4 * largest  # base, sft, rl, control of one tensor


def test_dot64_is_exact_across_chunks():
    a = torch.full((3_000_001,), 1e-3)
    b = torch.full((3_000_001,), 2.0)
    assert dot64(a, b) == pytest.approx(3_000_001 * 2 * float(a[0]), rel=1e-12)


def test_cli_prints_summary_and_paths(base_and_sft, tmp_path, capsys):
    root, _, _, sft_updates = base_and_sft
    rl = _rl(base_and_sft, "orth", _orthogonal_to_sft(sft_updates))
    code = main(["analyze", "orthogonality", "--base", str(root / "base"), "--sft", str(root / "sft"),
                 "--rl", str(rl), "--out", str(tmp_path)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "overall" in out and "q_proj" in out and "cos(dSFT, dRL)" in out
    assert str(tmp_path / "orthogonality.png") in out and str(tmp_path / "orthogonality.json") in out
