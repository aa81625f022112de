"""The sparsified skill vector: per tensor the top `keep` share of entries by magnitude, the rest zero, the kept
ones scaled to the dense tensor's norm; written in the dense vector's layout, injectable like it, recorded."""

from __future__ import annotations

import math

import pytest
import torch
from vectors_testutil import load_dir

from toolpast.vectors import inject_skill_vector
from toolpast.vectors.manifest import VectorManifest
from toolpast.vectors.sparsify import sparsify_skill_vector, sparsify_tensor


def test_a_tensor_keeps_its_largest_entries_and_its_norm():
    v = torch.tensor([[0.1, -3.0, 0.2, 2.0], [0.0, -0.5, 1.0, 0.05]])
    sparse, zeros = sparsify_tensor(v, 0.25)  # ceil(0.25 * 8) = 2 entries: -3.0 and 2.0
    kept = sparse != 0
    assert kept.sum() == 2 and zeros == 6
    assert kept[0, 1] and kept[0, 3]
    assert torch.linalg.vector_norm(sparse) == pytest.approx(float(torch.linalg.vector_norm(v)), rel=1e-6)
    assert torch.sign(sparse[kept]).tolist() == [-1.0, 1.0]  # signs and ratios kept: one scale for the tensor
    assert sparse[0, 1] / sparse[0, 3] == pytest.approx(-1.5)


def test_edge_shares_and_an_all_zero_tensor():
    v = torch.randn(5, 7)
    dense, zeros = sparsify_tensor(v, 1.0)
    assert torch.allclose(dense, v) and zeros == 0
    tiny, zeros = sparsify_tensor(v, 1e-9)  # at least one entry is kept
    assert int((tiny != 0).sum()) == 1 and zeros == 34
    nothing, zeros = sparsify_tensor(torch.zeros(3, 3), 0.3)
    assert not nothing.any() and zeros == 9


def test_a_sparsified_vector_is_written_recorded_and_injectable(vector_dir, models, tmp_path):
    out = sparsify_skill_vector(vector_dir, tmp_path / "sparse", 0.3)
    dense = VectorManifest.load(vector_dir)
    assert out.sparsity.keep == 0.3 and out.sparsity.dense_weights_sha256 == dense.weights_sha256
    assert out.shard_files == dense.shard_files and out.weights_sha256 != dense.weights_sha256
    assert VectorManifest.load(tmp_path / "sparse") == out
    values, originals = load_dir(tmp_path / "sparse"), load_dir(vector_dir)
    for name, entry in out.tensors.items():
        n = math.prod(entry.shape)
        assert int((values[name] != 0).sum()) == math.ceil(0.3 * n) == n - entry.zeros
        assert entry.l2_norm == pytest.approx(dense.tensors[name].l2_norm, rel=1e-5)
        assert values[name].dtype == originals[name].dtype
    assert out.total_l2_norm == pytest.approx(dense.total_l2_norm, rel=1e-5)
    report = inject_skill_vector(models["sft"], tmp_path / "sparse", 1.0, tmp_path / "model")
    assert report.surviving_fraction == pytest.approx(1.0, abs=1e-3)


def test_refusals(vector_dir, tmp_path):
    with pytest.raises(ValueError, match=r"keep must be in \(0, 1\]"):
        sparsify_skill_vector(vector_dir, tmp_path / "a", 0.0)
    sparsify_skill_vector(vector_dir, tmp_path / "b", 0.5)
    with pytest.raises(ValueError, match="already sparsified .*sparsify the dense vector"):
        sparsify_skill_vector(tmp_path / "b", tmp_path / "c", 0.5)


def test_the_sparsify_command_writes_what_the_library_writes(vector_dir, tmp_path, capsys):
    """`toolpast skill sparsify`: the same tensors as `sparsify_skill_vector`, and it never overwrites."""
    from toolpast.cli import main

    assert main(["skill", "sparsify", "--vector", str(vector_dir), "--keep", "0.3", "--out",
                 str(tmp_path / "cli")]) == 0
    assert "top 0.3 of each tensor by magnitude, norm restored" in capsys.readouterr().out
    sparsify_skill_vector(vector_dir, tmp_path / "lib", 0.3)
    cli, lib = load_dir(tmp_path / "cli"), load_dir(tmp_path / "lib")
    assert cli.keys() == lib.keys() and all(torch.equal(cli[k], lib[k]) for k in cli)
    assert VectorManifest.load(tmp_path / "cli").sparsity.keep == 0.3
    assert main(["skill", "sparsify", "--vector", str(vector_dir), "--keep", "0.3", "--out",
                 str(tmp_path / "cli")]) == 2
    assert "already exists" in capsys.readouterr().err
