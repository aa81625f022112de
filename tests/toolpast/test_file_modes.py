"""Outputs get the mode the process umask gives new files (0644 under 022), not mkstemp's or safetensors' 0600: a
shared $TOOLPAST_HOME or a published leaderboard page must stay readable by whom the user's umask allows."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from toolpast.artifacts import ArtifactStore
from toolpast.io import apply_umask, atomic_copy, atomic_write_json, atomic_write_text, process_umask


@pytest.fixture(params=[0o022, 0o027])
def umask(request):
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_process_umask_is_read_without_changing_it(umask):
    assert process_umask() == umask and process_umask() == umask


def test_atomic_writes_follow_the_umask(umask, tmp_path):
    atomic_write_text(tmp_path / "a.txt", "x")
    atomic_write_json(tmp_path / "sub" / "b.json", {"x": 1})
    assert _mode(tmp_path / "a.txt") == _mode(tmp_path / "sub" / "b.json") == 0o666 & ~umask
    atomic_write_text(tmp_path / "a.txt", "y")  # replacing a file: the same
    assert _mode(tmp_path / "a.txt") == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left


def test_stage_outputs_follow_the_umask_even_when_written_0600(umask, tmp_path):
    def build(workdir):
        (workdir / "model").mkdir()
        weights = workdir / "model" / "model.safetensors"
        weights.write_bytes(b"x")
        weights.chmod(0o600)  # what safetensors' save_file does whatever the umask
        script = workdir / "run.sh"
        script.write_text("#!/bin/sh\n")
        script.chmod(0o700)

    artifact, _ = ArtifactStore(tmp_path).run("stage", {"k": 1}, build)
    assert _mode(artifact.path / "model" / "model.safetensors") == 0o666 & ~umask
    assert _mode(artifact.path / "manifest.json") == 0o666 & ~umask
    assert _mode(artifact.path / "run.sh") == 0o777 & ~umask  # executables stay executable


def test_copies_do_not_inherit_a_0600_source_mode(umask, tmp_path):
    src = tmp_path / "src.json"
    src.write_text("{}")
    src.chmod(0o600)
    atomic_copy(src, tmp_path / "dst.json")
    assert _mode(tmp_path / "dst.json") == 0o666 & ~umask
    assert (tmp_path / "dst.json").stat().st_mtime_ns == src.stat().st_mtime_ns


def test_apply_umask_leaves_symlinks_alone(umask, tmp_path):
    target = tmp_path / "outside"
    target.write_text("x")
    target.chmod(0o600)
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "link").symlink_to(target)
    apply_umask(tmp_path / "dir")
    assert _mode(target) == 0o600


def test_toolbench_response_cache_follows_the_umask(umask, tmp_path):
    from toolenv.toolbench.cache import ResponseCache
    from toolenv.toolbench.records import ToolBenchApi

    api = ToolBenchApi(category="Finance", tool_name="T", tool="t", api_name="A", api="a", function_name="a_for_t",
                       description="", method="GET", params=())
    cache = ResponseCache(tmp_path, writable=True)
    cache.put(api, {"q": 1}, {"response": "ok"})
    (written,) = [p for p in tmp_path.rglob("*.json")]
    assert _mode(written) == 0o666 & ~umask
