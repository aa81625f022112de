"""The streaming engine: every input is read once and hashed from those reads, recorded digests are reused (and a
changed vector is caught), the fused path writes the two-step's bits, and the results are torch's bit for bit."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from vectors_testutil import OUT_SHARD_BYTES, load_dir, make_model, save

import toolpast.vectors.rawio as rawio
from toolpast.vectors import (
    Checkpoint,
    CheckpointFormatError,
    extract_skill_vector,
    inject_skill_delta,
    inject_skill_vector,
    weights_sha256,
)
from toolpast.vectors.digest import SourceDigest


@pytest.fixture
def read_bytes(monkeypatch) -> dict[str, int]:
    """Bytes read from each checkpoint dir (by its name) through the raw reader."""
    counts: dict[str, int] = {}
    original = rawio.RawReader.read

    def counting(self, info, offset, out):
        counts[self.ckpt.path.name] = counts.get(self.ckpt.path.name, 0) + out.nbytes
        return original(self, info, offset, out)

    monkeypatch.setattr(rawio.RawReader, "read", counting)
    return counts


def test_each_input_is_read_once_and_recorded_digests_are_reused(models, tmp_path, read_bytes):
    total = {k: Checkpoint(models[k]).total_bytes for k in ("rl", "sft", "target")}
    m = extract_skill_vector(models["rl"], models["sft"], tmp_path / "v", shard_max_bytes=OUT_SHARD_BYTES)
    assert read_bytes == {"rl": total["rl"], "sft": total["sft"]}  # hashes came from the same reads
    assert m.rl.weights_sha256 == weights_sha256(models["rl"]) and m.sft.weights_sha256 == weights_sha256(models["sft"])
    assert m.weights_sha256 == weights_sha256(Checkpoint(tmp_path / "v", index_name="vector.safetensors.index.json"))
    assert json.loads((tmp_path / "v" / ".weights_sha256.json").read_text())["sha256"] == m.weights_sha256

    read_bytes.clear()
    report = inject_skill_vector(models["target"], tmp_path / "v", 0.5, tmp_path / "out", digest_output=True)
    vector_bytes = Checkpoint(tmp_path / "v", index_name="vector.safetensors.index.json").total_bytes
    assert read_bytes == {"target": total["target"], "v": vector_bytes}
    assert report.vector_weights_sha256 == m.weights_sha256  # reused from the manifest, not hashed again
    assert report.model_weights_sha256 == weights_sha256(models["target"])
    assert report.out_weights_sha256 == weights_sha256(tmp_path / "out")


def test_a_vector_changed_after_extraction_is_caught(models, vector_dir, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(vector_dir, changed)  # the copied record is void (other inodes): the vector is hashed...
    shard = sorted(changed.glob("vector-*.safetensors"))[0]
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0x01  # ...and one weight's bits differ from what the manifest recorded
    shard.write_bytes(bytes(data))
    with pytest.raises(CheckpointFormatError, match="its manifest recorded"):
        inject_skill_vector(models["target"], changed, 1.0, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_source_digest_catches_up_on_skipped_and_out_of_order_tensors(tmp_path):
    tensors = {
        "a.weight": torch.randn(7, 5),
        "b.ids": torch.arange(6, dtype=torch.int64),
        "c.empty": torch.zeros(0, 3),
        "d.half": torch.randn(33).to(torch.bfloat16),
        "e.last": torch.randn(4),
    }
    save_file(tensors, str(tmp_path / "model.safetensors"))
    ckpt = Checkpoint(tmp_path)
    expected = weights_sha256(ckpt)

    def read(digest, reader, name, offset, n):
        info = ckpt.info(name)
        digest.on_read(info, offset, reader.read(info, offset, np.empty(n, dtype=np.uint8)))

    reader = rawio.RawReader(ckpt)
    in_order = SourceDigest(ckpt, reader)
    for name in sorted(tensors):
        info = ckpt.info(name)
        for off in range(0, info.nbytes, 12):  # chunks that split tensors unevenly
            read(in_order, reader, name, off, min(12, info.nbytes - off))
    assert in_order.finish() == expected and in_order.catch_up_bytes == 0

    jumbled = SourceDigest(ckpt, reader)
    read(jumbled, reader, "d.half", 0, 66)  # a, b and c are hashed by catch-up reads first
    read(jumbled, reader, "a.weight", 0, 140)  # already hashed: ignored
    assert jumbled.finish() == expected  # e.last: caught up at the end
    assert jumbled.catch_up_bytes == ckpt.info("a.weight").nbytes + 48 + ckpt.info("e.last").nbytes
    assert SourceDigest(ckpt, reader, known="sha256:given").finish() == "sha256:given"
    assert SourceDigest(ckpt, reader, enabled=False).finish() is None
    reader.close()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16])
def test_stored_and_fused_injection_equal_torch_formula_bit_for_bit(models, tmp_path, dtype):
    """theta = (t.float() + v * lam).to(dtype) with v = rl.float() - sft.float(), exactly, both ways."""
    target = save(make_model(2), tmp_path / "target", dtype=dtype)
    lam = 0.7
    extract_skill_vector(models["rl"], models["sft"], tmp_path / "v", hash_sources=False)
    two = inject_skill_vector(target, tmp_path / "v", lam, tmp_path / "two", hash_inputs=False, chunk_elems=100)
    fused = inject_skill_delta(target, models["rl"], models["sft"], lam, tmp_path / "fused", chunk_elems=100)
    rl, sft, tgt = load_dir(models["rl"]), load_dir(models["sft"]), load_dir(target)
    got_two, got_fused = load_dir(tmp_path / "two"), load_dir(tmp_path / "fused")
    for name, t in tgt.items():
        expected = (t.float() + (rl[name].float() - sft[name].float()) * lam).to(dtype)
        assert got_two[name].dtype == dtype and torch.equal(got_two[name], expected), name
        assert torch.equal(got_fused[name], expected), name
    assert fused.fused and fused.vector_dir is None and fused.rl_dir == str(models["rl"].absolute())
    assert fused.vector_rl_sha256 == weights_sha256(models["rl"]) and fused.model_weights_sha256 is not None
    assert fused.per_tensor == two.per_tensor and fused.surviving_fraction == two.surviving_fraction
    assert json.loads((tmp_path / "fused" / "past_manifest.json").read_text())["fused"] is True


def test_importing_the_vector_code_does_not_import_torch():
    """extract and inject run on numpy; torch's import alone costs ~2 s of every `toolpast skill` call."""
    code = ("import sys; import toolpast.vectors as v; v.extract_skill_vector; v.inject_skill_vector; "
            "v.inject_skill_delta; import toolpast.bench.worker; print('torch' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_direct_reads_return_the_same_bytes_as_ordinary_ones(models):
    """O_DIRECT reads widen every range to whole blocks; what comes back is exactly the unaligned range asked for."""
    ckpt = Checkpoint(models["rl"])
    plain, direct = rawio.RawReader(ckpt), rawio.RawReader(ckpt, direct=True)
    for name in ckpt.names:
        info = ckpt.info(name)
        for offset, n in ((0, info.nbytes), (4, min(40, info.nbytes - 4)), (info.nbytes - 12, 12)):
            a = plain.read(info, offset, np.empty(n, dtype=np.uint8))
            b = direct.read(info, offset, np.empty(n, dtype=np.uint8))
            assert np.array_equal(a, b), (name, offset)
    assert direct.direct == bool(getattr(__import__("os"), "O_DIRECT", 0))
    plain.close()
    direct.close()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_extraction_counts_the_vectors_exact_zeros(models, tmp_path, dtype):
    """The manifest's per-tensor zeros (what the pipeline's mostly-zero check reads) equal a count over the written
    shards, with some tensors unchanged by "RL" (all zeros) and updates too small for bf16 (rounded to zero)."""
    from toolpast.vector_check import count_zeros
    from toolpast.vectors import VectorManifest

    sft = make_model(0)
    rl = make_model(0)
    with torch.no_grad():
        params = dict(rl.named_parameters())
        params["model.layers.0.mlp.up_proj.weight"].add_(1e-3)  # survives a bf16 cast of the difference
        down = params["model.layers.0.mlp.down_proj.weight"]
        down.add_(torch.randn_like(down) * 1e-9)
    out = tmp_path / "v"
    extract_skill_vector(save(rl, tmp_path / "rl"), save(sft, tmp_path / "sft"), out, dtype=dtype)
    manifest = VectorManifest.load(out)
    counted = count_zeros(out)
    assert sum(e.zeros for e in manifest.tensors.values()) == counted.zeros
    assert 0 < counted.zeros < counted.entries
    assert manifest.tensors["model.layers.0.mlp.up_proj.weight"].zeros == 0
