"""The recorded weights digest (`.weights_sha256.json`) is reused only while it describes the files: a changed,
replaced, added or copied weight file, a corrupted or hand-edited record, or a write racing the hash makes it
hashed again; a chmod (the artifact store's umask pass) does not."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from toolpast.models.identity import (
    cache_path,
    cached_weights_sha256,
    forget_weights_sha256,
    record_weights_sha256,
    weights_sha256,
    weights_stamp,
)
from toolpast.vectors import weights_sha256 as hashed


@pytest.fixture
def model(tmp_path) -> Path:
    d = tmp_path / "m"
    d.mkdir()
    g = torch.Generator().manual_seed(0)
    save_file({"a": torch.randn(64, generator=g), "b": torch.randn(8, 4, generator=g)}, str(d / "model.safetensors"))
    (d / "config.json").write_text("{}")
    return d


def _flip_last_byte(path: Path) -> None:
    """Change one weight bit in place: same size, same inode. File times tick at the kernel's clock granularity
    (a few ms), so wait one tick first, as any real later write would be."""
    time.sleep(0.05)
    with open(path, "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 1]))


def test_recorded_digest_is_reused_until_a_weight_file_changes(model):
    first = weights_sha256(model)
    assert first == hashed(model) and cached_weights_sha256(model) == first
    (model / "config.json").write_text('{"x": 1}')  # not a weight file: the record stands
    assert cached_weights_sha256(model) == first
    shard = model / "model.safetensors"
    os.chmod(shard, 0o600)
    os.chmod(shard, 0o644)  # a mode change (the artifact store's umask pass after each stage): the record stands
    assert cached_weights_sha256(model) == first
    before = shard.stat()
    _flip_last_byte(shard)  # one bit, in place: same size, same inode, a new mtime
    assert shard.stat().st_size == before.st_size and shard.stat().st_ino == before.st_ino
    assert cached_weights_sha256(model) is None
    second = weights_sha256(model)
    assert second == hashed(model) != first and cached_weights_sha256(model) == second


def test_replaced_added_or_copied_files_are_hashed_again(model, tmp_path):
    weights_sha256(model)
    copy = tmp_path / "copy"
    shutil.copytree(model, copy)  # copies the record too, and keeps sizes and mtimes: other inodes
    assert cached_weights_sha256(copy) is None and weights_sha256(copy) == weights_sha256(model)

    shard = model / "model.safetensors"
    tmp = shard.with_name("new.tmp")
    shutil.copy2(shard, tmp)
    os.replace(tmp, shard)  # same bytes and mtime, a new file
    assert cached_weights_sha256(model) is None
    weights_sha256(model)
    save_file({"c": torch.zeros(2)}, str(model / "extra.safetensors"))  # an added shard
    assert cached_weights_sha256(model) is None


def test_a_corrupted_or_hand_edited_record_is_not_trusted(model):
    truth = weights_sha256(model)
    record = json.loads(cache_path(model).read_text())
    # an edited digest with the stamp intact: the old cache (stamp only) returned it as the model's identity
    cache_path(model).write_text(json.dumps({**record, "sha256": "sha256:" + "0" * 64}))
    assert cached_weights_sha256(model) is None and weights_sha256(model) == truth
    cache_path(model).write_text(cache_path(model).read_text()[:-5])  # truncated
    assert cached_weights_sha256(model) is None
    cache_path(model).write_text(json.dumps({"stamp": record["stamp"], "sha256": truth}))  # the old format
    assert cached_weights_sha256(model) is None
    forget_weights_sha256(model)
    forget_weights_sha256(model)  # already gone: fine
    assert not cache_path(model).exists() and cached_weights_sha256(model) is None


def test_a_digest_of_files_that_changed_while_being_read_is_not_recorded(model):
    stamp = weights_stamp(model)  # taken before the read...
    value = hashed(model)
    _flip_last_byte(model / "model.safetensors")  # ...which a writer raced
    assert record_weights_sha256(model, value, stamp) is False and not cache_path(model).exists()
    assert record_weights_sha256(model, hashed(model), weights_stamp(model)) is True
    assert cached_weights_sha256(model) == hashed(model)


def test_reuse_false_hashes_even_a_valid_record(model, monkeypatch):
    weights_sha256(model)
    import toolpast.vectors

    calls = []
    monkeypatch.setattr(toolpast.vectors, "weights_sha256", lambda d: calls.append(d) or hashed(d))
    weights_sha256(model)
    assert calls == []
    weights_sha256(model, reuse=False)
    assert calls == [model]


def test_a_saved_stage_model_has_its_digest_recorded(tiny_model_dir, tmp_path):
    """The training stages' save records the weights' digest as they are written: the pipeline's extract, inject
    and leaderboard entries of that model then hash nothing."""
    from toolpast.models import load_model, load_tokenizer
    from toolpast.stages.training import save_full_model

    out = tmp_path / "model"
    save_full_model(load_model(tiny_model_dir, dtype="float32"), load_tokenizer(tiny_model_dir), out)
    assert cached_weights_sha256(out) == hashed(out)
