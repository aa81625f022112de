"""What injection refuses, and how loudly (issue 15): non-finite results, a vector that leaves tensors untouched,
an existing --out; and the warning line when the cast rounds most of lambda * v away."""

from __future__ import annotations

import warnings

import pytest
import torch
from vectors_testutil import load_dir, make_model, perturb, save

from toolpast.cli import main
from toolpast.vectors import extract_skill_vector, inject_skill_vector


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("toolpast: error: ")
    return err


@pytest.mark.parametrize("lam", [1e39, -1e39])
def test_lambda_overflowing_float32_is_refused_naming_the_tensor(models, vector_dir, tmp_path, capsys, lam):
    """1e39 is a finite float64 but inf in float32: lambda * v would be inf/nan everywhere."""
    with pytest.raises(ValueError, match=r"tensor '.+': lambda \* v is not finite in float32") as ei:
        inject_skill_vector(models["target"], vector_dir, lam, tmp_path / "out")
    assert "\n" not in str(ei.value) and not (tmp_path / "out").exists() and not list(tmp_path.iterdir())
    code = main(["skill", "inject", "--model", str(models["target"]), "--vector", str(vector_dir),
                 f"--lambda={lam}", "--out", str(tmp_path / "cli")])  # fmt: skip
    assert code == 2 and "is not finite" in _one_error_line(capsys) and not (tmp_path / "cli").exists()


def test_result_overflowing_the_target_dtype_is_refused(models, vector_dir, tmp_path):
    """lambda * v is finite in float32, but float16 tops out at 65504: the injected weights would be inf."""
    target = save(make_model(2), tmp_path / "target16", dtype=torch.float16)
    with pytest.raises(ValueError, match=r"tensor '.+': the injected weights are not finite in float16"):
        inject_skill_vector(target, vector_dir, 1e8, tmp_path / "out", hash_inputs=False)
    assert not (tmp_path / "out").exists()
    inject_skill_vector(target, vector_dir, 10.0, tmp_path / "fine", hash_inputs=False)  # no overflow: accepted
    assert all(torch.isfinite(t).all() for t in load_dir(tmp_path / "fine").values())


@pytest.mark.parametrize("lam", ["nan", "inf", "-inf"])
def test_non_finite_lambda_is_refused(models, vector_dir, tmp_path, capsys, lam):
    with pytest.raises(ValueError, match="lambda must be a finite number"):
        inject_skill_vector(models["target"], vector_dir, float(lam), tmp_path / "out")
    code = main(["skill", "inject", "--model", str(models["target"]), "--vector", str(vector_dir),
                 f"--lambda={lam}", "--out", str(tmp_path / "cli")])  # fmt: skip
    assert code == 2 and "finite" in _one_error_line(capsys) and not list(tmp_path.iterdir())


def test_low_survival_warns_loudly(models, tmp_path, capsys):
    """A bf16 target keeps almost none of a tiny update: the library warns and the CLI prints a warning line."""
    target = save(make_model(2), tmp_path / "target_bf16", dtype=torch.bfloat16)
    rl = save(perturb(make_model(0), 1, 1e-6), tmp_path / "rl_tiny")
    capsys.readouterr()
    extract_skill_vector(rl, models["sft"], tmp_path / "v", hash_sources=False)
    with pytest.warns(UserWarning, match=r"LOW SURVIVAL: only \d+\.\d% of lambda \* v survived the cast to bfloat16"):
        report = inject_skill_vector(target, tmp_path / "v", 1.0, tmp_path / "out", hash_inputs=False)
    assert report.surviving_fraction < 0.5
    code = main(["skill", "inject", "--model", str(target), "--vector", str(tmp_path / "v"), "--out",
                 str(tmp_path / "cli")])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "model: " in captured.out
    assert [line for line in captured.err.splitlines() if line.startswith("toolpast: warning: LOW SURVIVAL")]
    with warnings.catch_warnings(record=True) as record:  # an fp32 target keeps the update: no warning
        warnings.simplefilter("always")
        inject_skill_vector(models["target"], tmp_path / "v", 1.0, tmp_path / "fp32", hash_inputs=False)
    assert not [w for w in record if "SURVIVAL" in str(w.message)]


def test_vector_that_does_not_cover_the_model_is_an_error_unless_allowed(models, vector_dir, tmp_path, capsys):
    """A 2-layer vector into a 3-layer model used to warn "shapes agree" and leave layer 2 as it was."""
    deep = save(make_model(3, num_hidden_layers=3), tmp_path / "deep")
    layer2 = sorted(n for n in load_dir(deep) if n.startswith("model.layers.2."))
    with pytest.raises(ValueError, match=r"does not cover 9 of the model's 30 float tensors \(model\.layers\.2") as ei:
        inject_skill_vector(deep, vector_dir, 1.0, tmp_path / "out")
    assert "and 5 more" in str(ei.value) and "allow_partial" in str(ei.value) and not (tmp_path / "out").exists()
    assert ei.value.uncovered == layer2

    with pytest.warns(UserWarning, match="num_hidden_layers: 2 != 3"):
        report = inject_skill_vector(deep, vector_dir, 1.0, tmp_path / "out", allow_partial=True, hash_inputs=False)
    assert report.allow_partial and report.uncovered == layer2 and report.tensors_copied == len(layer2)
    got, before = load_dir(tmp_path / "out"), load_dir(deep)
    assert all(torch.equal(got[n], before[n]) for n in layer2)

    args = ["skill", "inject", "--model", str(deep), "--vector", str(vector_dir), "--out"]
    capsys.readouterr()
    assert main([*args, str(tmp_path / "cli")]) == 2
    assert "--allow-partial" in _one_error_line(capsys) and not (tmp_path / "cli").exists()
    assert main([*args, str(tmp_path / "cli"), "--allow-partial"]) == 0


@pytest.mark.parametrize("action", ["extract", "inject"])
def test_existing_out_is_a_one_line_error_and_stays_untouched(models, vector_dir, tmp_path, capsys, action):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    if action == "extract":
        args = ["skill", "extract", "--rl", str(models["rl"]), "--sft", str(models["sft"])]
    else:
        args = ["skill", "inject", "--model", str(models["target"]), "--vector", str(vector_dir)]
    assert main([*args, "--out", str(out)]) == 2
    assert "already exists" in _one_error_line(capsys)
    assert [p.name for p in out.iterdir()] == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
    file_out = tmp_path / "a_file"
    file_out.write_text("x")
    assert main([*args, "--out", str(file_out)]) == 2 and file_out.read_text() == "x"
    assert "already exists" in _one_error_line(capsys)


def test_cli_fused_inject_equals_the_two_step(models, vector_dir, tmp_path, capsys):
    base = ["skill", "inject", "--model", str(models["target"]), "--lambda", "0.5"]
    assert main([*base, "--vector", str(vector_dir), "--out", str(tmp_path / "two")]) == 0
    assert main([*base, "--rl", str(models["rl"]), "--sft", str(models["sft"]), "--out", str(tmp_path / "fused")]) == 0
    two, fused = load_dir(tmp_path / "two"), load_dir(tmp_path / "fused")
    assert two.keys() == fused.keys() and all(torch.equal(two[k], fused[k]) for k in two)
    capsys.readouterr()
    for bad in (["--rl", str(models["rl"])], ["--vector", str(vector_dir), "--rl", str(models["rl"]), "--sft",
                                                 str(models["sft"])], []):  # fmt: skip
        assert main([*base, *bad, "--out", str(tmp_path / "bad")]) == 2
        assert "either --vector V or both --rl R and --sft S" in _one_error_line(capsys)
