"""Extract and inject hash an input only when no valid digest is recorded beside it, and record the one they
compute (so the next operation on that model hashes nothing); a model changed after its record is hashed again."""

from __future__ import annotations

import shutil
import time

import pytest
from vectors_testutil import OUT_SHARD_BYTES

import toolpast.vectors.digest as digest_mod
from toolpast.models.identity import cached_weights_sha256, forget_weights_sha256
from toolpast.vectors import extract_skill_vector, inject_skill_vector, weights_sha256


@pytest.fixture
def hashed_bytes(monkeypatch) -> dict[str, int]:
    """Input bytes fed to each checkpoint's digest (by dir name); the vector's own digest is not an input's."""
    counts: dict[str, int] = {}
    original = digest_mod.SourceDigest._feed

    def counting(self, info, data):
        counts[self.ckpt.path.name] = counts.get(self.ckpt.path.name, 0) + data.nbytes
        return original(self, info, data)

    monkeypatch.setattr(digest_mod.SourceDigest, "_feed", counting)
    return counts


@pytest.fixture
def fresh(models, tmp_path):
    """Copies of the models with no recorded digest (a copy has new inodes, so a copied record is void too)."""
    out = {}
    for k, src in models.items():
        out[k] = shutil.copytree(src, tmp_path / "in" / k)
        forget_weights_sha256(out[k])
    return out


def _flip_a_weight_bit(model_dir) -> None:
    time.sleep(0.05)  # past the file-time granularity (a few ms), as any real later write would be
    shard = sorted(model_dir.glob("*.safetensors"))[-1]
    data = bytearray(shard.read_bytes())
    data[-1] ^= 0x01
    shard.write_bytes(bytes(data))


def test_inputs_are_hashed_once_then_their_recorded_digests_reused(fresh, tmp_path, hashed_bytes):
    m = extract_skill_vector(fresh["rl"], fresh["sft"], tmp_path / "v1", shard_max_bytes=OUT_SHARD_BYTES)
    assert set(hashed_bytes) == {"rl", "sft"}  # cold: hashed from the reads...
    assert cached_weights_sha256(fresh["rl"]) == m.rl.weights_sha256 == weights_sha256(fresh["rl"])  # ...and recorded
    assert cached_weights_sha256(fresh["sft"]) == m.sft.weights_sha256 == weights_sha256(fresh["sft"])
    hashed_bytes.clear()
    again = extract_skill_vector(fresh["rl"], fresh["sft"], tmp_path / "v2", shard_max_bytes=OUT_SHARD_BYTES)
    assert hashed_bytes == {} and (again.rl, again.sft) == (m.rl, m.sft)

    report = inject_skill_vector(fresh["target"], tmp_path / "v1", 0.5, tmp_path / "out", digest_output=True)
    assert set(hashed_bytes) == {"target"}  # the vector's digest was recorded by extraction: not hashed again
    assert cached_weights_sha256(fresh["target"]) == report.model_weights_sha256 == weights_sha256(fresh["target"])
    assert cached_weights_sha256(tmp_path / "out") == report.out_weights_sha256 == weights_sha256(tmp_path / "out")
    hashed_bytes.clear()
    again = inject_skill_vector(fresh["target"], tmp_path / "v1", 0.5, tmp_path / "out2")
    assert hashed_bytes == {} and again.model_weights_sha256 == report.model_weights_sha256


def test_a_model_changed_after_its_digest_was_recorded_is_hashed_again(fresh, tmp_path, hashed_bytes):
    first = extract_skill_vector(fresh["rl"], fresh["sft"], tmp_path / "v1", shard_max_bytes=OUT_SHARD_BYTES)
    _flip_a_weight_bit(fresh["rl"])
    hashed_bytes.clear()
    second = extract_skill_vector(fresh["rl"], fresh["sft"], tmp_path / "v2", shard_max_bytes=OUT_SHARD_BYTES)
    assert set(hashed_bytes) == {"rl"}
    assert second.rl.weights_sha256 == weights_sha256(fresh["rl"]) != first.rl.weights_sha256
    assert cached_weights_sha256(fresh["rl"]) == second.rl.weights_sha256
    assert second.sft.weights_sha256 == first.sft.weights_sha256
