"""The finiteness check of stage models and loaded checkpoints: exact, chunked, and the one refusal `toolpast eval`
prints for a checkpoint holding nan (it evaluated it before)."""

import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

import toolpast.models.finite as finite
from toolpast.models import load_model
from toolpast.models.finite import check_finite, first_nonfinite
from toolpast.vectors.errors import NonFiniteModel


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_the_first_tensor_holding_inf_or_nan_is_found_in_any_chunk(dtype, monkeypatch):
    monkeypatch.setattr(finite, "CHUNK", 7)  # several chunks per tensor
    huge = torch.full((50,), torch.finfo(dtype).max, dtype=dtype)  # finite, though every chunk's sum overflows
    late_nan, late_inf = torch.zeros(50, dtype=dtype), torch.zeros(50, dtype=dtype)
    late_nan[44], late_inf[48] = float("nan"), -float("inf")
    ints = torch.full((3,), 2**31 - 1, dtype=torch.int32)  # not floating: never looked at
    assert first_nonfinite([("huge", huge), ("ints", ints)]) is None
    assert first_nonfinite([("huge", huge), ("a", late_inf), ("b", late_nan)]) == "a"
    with pytest.raises(NonFiniteModel, match=r"^stage x: tensor 'b' holds inf or nan; the cause$"):
        check_finite([("huge", huge), ("b", late_nan.reshape(5, 10))], "stage x", "the cause")


def _poisoned(tiny_model_dir, out):
    shutil.copytree(tiny_model_dir, out)
    weights = load_file(out / "model.safetensors")
    name = sorted(weights)[-1]
    weights[name][0] = float("nan")
    save_file(weights, out / "model.safetensors", metadata={"format": "pt"})
    return out


def test_a_checkpoint_holding_nan_is_refused_at_load(tiny_model_dir, tmp_path):
    with pytest.raises(NonFiniteModel, match=r"the checkpoint in .*poisoned: tensor '[\w.]+' holds inf or nan; a "
                                             r"training that diverged \(learning rate too high\) or an injection"):
        load_model(_poisoned(tiny_model_dir, tmp_path / "poisoned"))


def test_toolpast_eval_refuses_a_model_holding_nan_in_one_line(tiny_model_dir, tmp_path, capsys):
    """`toolpast eval --model DIR` on the weights `sft --set sft.learning_rate=1e30` wrote evaluated them (exit 0)."""
    from toolpast.cli import main

    model = _poisoned(tiny_model_dir, tmp_path / "poisoned")
    argv = ["eval", "--category", "finance", "--model", str(model), "--out", str(tmp_path / "e"), "--preset", "smoke"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("toolpast: error: the checkpoint in ") and "holds inf or nan" in err[-1]
    assert not (tmp_path / "e" / "metrics.json").exists()
