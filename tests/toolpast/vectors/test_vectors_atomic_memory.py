"""Crash safety (no half-written output looks finished) and bounded memory (independent of model size)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from vectors_testutil import OUT_SHARD_BYTES, load_dir, make_model, perturb, save

from toolpast.vectors import ResidencyMeter, extract_skill_vector, inject_skill_vector
from toolpast.vectors.shards import ShardedSafetensorsWriter
from toolpast.vectors.stream import DEPTH_READ, DEPTH_WRITE

REPO = Path(__file__).resolve().parents[3]


def _crash_after_first_shard(monkeypatch):
    original = ShardedSafetensorsWriter._finish_shard

    def finish_then_crash(self):
        original(self)
        raise RuntimeError("simulated crash after the first shard")

    monkeypatch.setattr(ShardedSafetensorsWriter, "_finish_shard", finish_then_crash)


def test_crash_mid_extract_leaves_no_output(models, tmp_path, monkeypatch):
    _crash_after_first_shard(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        extract_skill_vector(models["rl"], models["sft"], tmp_path / "v", shard_max_bytes=OUT_SHARD_BYTES)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # neither `v` nor a leftover `v.partial-*`


def test_crash_mid_inject_leaves_no_output_and_keeps_old_one(models, vector_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    inject_skill_vector(models["target"], vector_dir, 0.0, out, shard_max_bytes=OUT_SHARD_BYTES)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _crash_after_first_shard(monkeypatch)
    with pytest.raises(RuntimeError, match="simulated crash"):
        inject_skill_vector(models["target"], vector_dir, 1.0, out, shard_max_bytes=OUT_SHARD_BYTES, overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # the previous complete output is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    with pytest.raises(FileExistsError):
        inject_skill_vector(models["target"], vector_dir, 1.0, out)


def test_killed_process_leaves_only_a_partial_dir(models, tmp_path):
    """A hard kill (no cleanup handlers run) after the first shard: only `<out>.partial-<pid>` remains."""
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from toolpast.vectors import extract_skill_vector
        from toolpast.vectors.shards import ShardedSafetensorsWriter
        original = ShardedSafetensorsWriter._finish_shard
        def finish_then_die(self):
            original(self)
            os._exit(9)
        ShardedSafetensorsWriter._finish_shard = finish_then_die
        extract_skill_vector({str(models["rl"])!r}, {str(models["sft"])!r}, {str(tmp_path / "v")!r},
                             shard_max_bytes={OUT_SHARD_BYTES}, hash_sources=False)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith("v.partial-"), left
    assert (tmp_path / left[0] / "vector-00001-of-00003.safetensors").is_file()
    assert not (tmp_path / left[0] / "manifest.json").exists()
    extract_skill_vector(
        models["rl"], models["sft"], tmp_path / "v", shard_max_bytes=OUT_SHARD_BYTES, hash_sources=False
    )
    assert (tmp_path / "v" / "manifest.json").is_file()


CHUNK = 256  # values per streaming buffer: far below the tiny models' largest tensor (embeddings, 4096 values)


def _peaks(tmp_path: Path, **overrides) -> tuple[int, int, int, int]:
    """(extract peak, inject peak, largest tensor bytes, total model bytes) of a tiny Llama with `overrides`."""
    root = tmp_path / "_".join(f"{k}{v}" for k, v in overrides.items())
    sft = make_model(0, **overrides)
    sft_dir, rl_dir = save(sft, root / "sft"), save(perturb(sft, 1, 0.01), root / "rl")
    target = save(make_model(2, **overrides), root / "target")
    m_ex, m_in = ResidencyMeter(), ResidencyMeter()
    extract_skill_vector(rl_dir, sft_dir, root / "v", shard_max_bytes=OUT_SHARD_BYTES, meter=m_ex, chunk_elems=CHUNK)
    inject_skill_vector(target, root / "v", 0.5, root / "out", shard_max_bytes=OUT_SHARD_BYTES, meter=m_in,
                        chunk_elems=CHUNK)  # fmt: skip
    tensors = load_dir(sft_dir)
    largest = max(t.numel() * t.element_size() for t in tensors.values())
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    for m in (m_ex, m_in):
        assert m.current_bytes == 0  # nothing leaked past the call
        assert m.tracked > 0
    return m_ex.peak_bytes, m_in.peak_bytes, largest, total


def test_resident_bytes_are_a_few_chunks_whatever_the_model_or_tensor_size(tmp_path):
    """The streaming ring holds a fixed number of chunk buffers: deeper models and larger tensors leave the peak
    where it was, and it is below the size of the largest tensor, let alone a shard or the model."""
    ex2, in2, largest, total2 = _peaks(tmp_path, num_hidden_layers=2)
    ex6, in6, _, total6 = _peaks(tmp_path, num_hidden_layers=6)
    ex_wide, in_wide, largest_wide, _ = _peaks(tmp_path, num_hidden_layers=2, vocab_size=512)
    ring = (DEPTH_READ + DEPTH_WRITE + 1) * 3 * 4 * CHUNK  # slots x (2 inputs + 1 output) x chunk bytes
    for peak in (ex2, in2, ex6, in6, ex_wide, in_wide):
        assert 0 < peak <= ring + 2 * 4 * CHUNK + 4 * CHUNK  # the ring plus two float32 and one uint32 scratch
        assert peak < largest  # not even one whole tensor is ever resident
    assert (ex6, in6) == (ex2, in2) == (ex_wide, in_wide)  # neither depth nor tensor size moves the peak
    assert largest_wide == 4 * largest and total6 > 2 * total2
