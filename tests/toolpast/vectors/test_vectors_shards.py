"""The streaming safetensors writer: files it writes are read back exactly, it refuses off-plan tensors, and its
chunked writes hash to the same weights_sha256 as the files they produce."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors import safe_open

from toolpast.vectors.checkpoint import Checkpoint, st_code_of, weights_sha256
from toolpast.vectors.shards import PlannedTensor, ShardedSafetensorsWriter, plan_shards


def test_plan_is_greedy_and_oversized_tensors_get_own_shard():
    ts = [PlannedTensor(f"t{i}", "F32", (n,)) for i, n in enumerate([10, 10, 30, 5, 5])]
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
    plan = [PlannedTensor(k, st_code_of(v.dtype), tuple(v.shape)) for k, v in tensors.items()]
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
    layout = plan_shards([PlannedTensor("a", "F32", (2,))], 100, stem="x", index_name="i.json")
    w = ShardedSafetensorsWriter(tmp_path, layout)
    with pytest.raises(ValueError, match="expected tensor 'a'"):
        w.write("b", torch.zeros(2))
    with pytest.raises(ValueError, match=r"planned F32 \[2\], got F32 \[3\]"):
        w.write("a", torch.zeros(3))
    with pytest.raises(ValueError, match=r"planned F32 \[2\], got F16 \[2\]"):
        w.write("a", torch.zeros(2, dtype=torch.float16))
    with pytest.raises(ValueError, match="more than its planned 8 bytes"):
        w.write_raw("a", b"\0" * 12)
    with pytest.raises(ValueError, match="never written"):
        w.close()
    with pytest.raises(ValueError, match="sorted-name order"):
        unsorted = [PlannedTensor("b", "F32", (1,)), PlannedTensor("a", "F32", (1,))]
        ShardedSafetensorsWriter(tmp_path, plan_shards(unsorted, 100, stem="y", index_name="j.json"), digest=True)


def test_chunked_raw_writes_and_their_digest(tmp_path):
    """write_raw in uneven chunks gives the same file as whole writes, and the writer's digest is the file's."""
    g = torch.Generator().manual_seed(1)
    tensors = {"a.bias": torch.randn(5, generator=g), "a.empty": torch.zeros(0),
               "b.weight": torch.randn(9, 7, generator=g)}
    plan = [PlannedTensor(k, "F32", tuple(v.shape)) for k, v in tensors.items()]
    layout = plan_shards(plan, 10**6, stem="x", index_name="x.json", single_name="model.safetensors")
    with ShardedSafetensorsWriter(tmp_path, layout, digest=True) as w:
        for k, v in tensors.items():
            raw = v.numpy().tobytes()
            if not raw:
                w.write_raw(k, raw)
            for i in range(0, len(raw), 44):  # 11 floats at a time: chunks that split no tensor evenly
                w.write_raw(k, raw[i : i + 44])
        assert w.sha256 is not None
        w.close()
    assert w.sha256 == weights_sha256(Checkpoint(tmp_path))
    with safe_open(str(tmp_path / "model.safetensors"), framework="pt") as f:
        for k, v in tensors.items():
            assert torch.equal(f.get_tensor(k), v)


def _write_direct_and_buffered(tmp_path, tensors, write) -> list[bytes]:
    """Write `tensors` as one shard twice, with O_DIRECT and buffered, through `write(writer, direct, name,
    tensor)`; the two files' bytes."""
    plan = [PlannedTensor(k, "F32", tuple(v.shape)) for k, v in tensors.items()]
    for direct in (True, False):
        out = tmp_path / ("direct" if direct else "buffered")
        out.mkdir()
        layout = plan_shards(plan, 10**6, stem="x", index_name="x.json", single_name="model.safetensors")
        with ShardedSafetensorsWriter(out, layout, direct=direct) as w:
            for k, v in tensors.items():
                write(w, direct, k, v)
            w.close()
    return [(tmp_path / mode / "model.safetensors").read_bytes() for mode in ("direct", "buffered")]


def test_direct_and_buffered_writes_give_identical_files(tmp_path):
    """O_DIRECT (aligned staging, padded tail truncated off) and buffered writes produce the same bytes."""
    from toolpast.vectors.direct import BLOCK, DirectSink, open_direct

    g = torch.Generator().manual_seed(2)
    tensors = {f"t{i}": torch.randn(n, generator=g) for i, n in enumerate([1, BLOCK // 4 - 1, BLOCK, 3 * BLOCK + 5])}
    files = _write_direct_and_buffered(tmp_path, tensors, lambda w, direct, k, v: w.write(k, v))
    assert files[0] == files[1]
    path = tmp_path / "sink.bin"
    path.write_bytes(b"")
    sink = open_direct(path, staging_bytes=4 * BLOCK)  # small, so the payload crosses several staging buffers
    if sink is None:
        pytest.skip("this filesystem refuses O_DIRECT; the buffered path above was tested")
    assert isinstance(sink, DirectSink)
    payload = bytes(range(256)) * 70_001  # not a multiple of the block
    for i in range(0, len(payload), 10_007):
        sink.write(payload[i : i + 10_007])
    sink.close()
    assert path.read_bytes() == payload


def test_block_aligned_data_goes_to_and_from_the_disk_uncopied(tmp_path):
    """Shard data starts on a disk block, so block-sized tensors handed over in aligned buffers are written (and read
    back) with O_DIRECT straight from (into) those buffers; unaligned pieces still go through staging; same bytes."""
    import numpy as np

    from toolpast.vectors.checkpoint import Checkpoint
    from toolpast.vectors.direct import BLOCK, aligned_empty
    from toolpast.vectors.rawio import RawReader

    g = torch.Generator().manual_seed(3)
    sizes = {"a": 4 * BLOCK, "b": BLOCK // 4 + 1, "c": 2 * BLOCK}  # elements; b is not a whole number of blocks
    tensors = {k: torch.randn(n, generator=g) for k, n in sizes.items()}
    sinks = {}

    def write(w, direct, k, v):
        raw = v.view(torch.uint8).numpy()
        buf = aligned_empty(raw.nbytes)
        buf[:] = raw
        for i in range(0, raw.nbytes, 4 * BLOCK):  # aligned chunks of 4 blocks, then the tail
            w.write_raw(k, buf[i : i + 4 * BLOCK])
            if direct and w._direct is not None:
                sinks.setdefault("sink", w._direct)  # the shard's O_DIRECT sink (None where refused)

    files = _write_direct_and_buffered(tmp_path, tensors, write)
    assert files[0] == files[1]
    header = int.from_bytes(files[0][:8], "little")
    assert (8 + header) % BLOCK == 0 and files[0][8 + header - 1 : 8 + header] == b" "  # padded with spaces
    with safe_open(str(tmp_path / "direct" / "model.safetensors"), framework="pt") as f:
        for k, v in tensors.items():
            assert torch.equal(f.get_tensor(k), v)
    if "sink" not in sinks:
        pytest.skip("this filesystem refuses O_DIRECT; the buffered path above was tested")
    # staged: the header, b's last 4 bytes (its first block went direct) and all of c (aligned in memory, but b
    # left the file offset unaligned); never any of a's 64 KiB
    assert sinks["sink"].staged_bytes == 8 + header + 4 + 4 * sizes["c"]
    ckpt = Checkpoint(tmp_path / "direct")
    reader = RawReader(ckpt, direct=True)
    info = ckpt.info("a")
    got = reader.read(info, 0, aligned_empty(info.nbytes))
    assert np.array_equal(got, tensors["a"].view(torch.uint8).numpy()) and reader.staged_bytes == 0
    reader.read(info, 4, np.empty(8, dtype=np.uint8))  # unaligned: through staging
    assert reader.staged_bytes == 8
    reader.close()
