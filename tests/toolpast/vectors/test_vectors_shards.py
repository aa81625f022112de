"""The streaming safetensors writer: files it writes are read back exactly, and it refuses off-plan tensors."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from toolpast.vectors.shards import PlannedTensor, ShardedSafetensorsWriter, plan_shards


def test_plan_is_greedy_and_oversized_tensors_get_own_shard():
    ts = [PlannedTensor(f"t{i}", torch.float32, (n,)) for i, n in enumerate([10, 10, 30, 5, 5])]
    layout = plan_shards(ts, 100, stem="m", index_name="m.index.json")  # 40, 40, 120, 20, 20 bytes
    assert [[t.name for t in s] for s in layout.shards] == [["t0", "t1"], ["t2"], ["t3", "t4"]]
    assert layout.files == [
        "m-00001-of-00003.safetensors",
        "m-00002-of-00003.safetensors",
        "m-00003-of-00003.safetensors",
    ]
    single = plan_shards(ts, 10**6, stem="m", index_name="m.index.json", single_name="m.safetensors")
    assert single.files == ["m.safetensors"] and single.index_name is None


def test_roundtrip_mixed_dtypes(tmp_path):
    g = torch.Generator().manual_seed(0)
    tensors = {
        "a": torch.randn(3, 5, generator=g).to(torch.bfloat16),
        "b": torch.randn(7, generator=g),
        "scalar": torch.tensor(2.5, dtype=torch.float16),
        "empty": torch.zeros(0, 4),
        "ints": torch.arange(6, dtype=torch.int64).reshape(2, 3),
        "mask": torch.tensor([True, False, True]),
    }
    plan = [PlannedTensor(k, v.dtype, tuple(v.shape)) for k, v in tensors.items()]
    layout = plan_shards(plan, 40, stem="x", index_name="x.index.json")
    with ShardedSafetensorsWriter(tmp_path, layout) as w:
        for k, v in tensors.items():
            w.write(k, v)
        weight_map = w.close()
    index = json.loads((tmp_path / "x.index.json").read_text())
    assert index["weight_map"] == weight_map and len(set(weight_map.values())) > 1
    for k, v in tensors.items():
        with safe_open(str(tmp_path / weight_map[k]), framework="pt") as f:
            assert f.metadata()["format"] == "pt"
            got = f.get_tensor(k)
        assert got.dtype == v.dtype and torch.equal(got, v)
    assert not list(tmp_path.glob(".*tmp*"))


def test_writer_refuses_off_plan_tensors(tmp_path):
    layout = plan_shards([PlannedTensor("a", torch.float32, (2,))], 100, stem="x", index_name="i.json")
    w = ShardedSafetensorsWriter(tmp_path, layout)
    with pytest.raises(ValueError, match="expected tensor 'a'"):
        w.write("b", torch.zeros(2))
    with pytest.raises(ValueError, match=r"planned torch.float32 \[2\]"):
        w.write("a", torch.zeros(3))
    with pytest.raises(ValueError, match="never written"):
        w.close()
