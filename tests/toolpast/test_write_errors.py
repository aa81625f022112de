"""A write that fails for a full disk or a read-only place is one line naming the output and the fix (issue 27),
from the library (`staged_dir`, `AtomicFile`) and from the command line. Read-only places are simulated: tests
run as root, whom a 0555 mode does not stop, and mounting needs privileges."""

from __future__ import annotations

import errno
import os
import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from toolpast.cli import main
from toolpast.io import AtomicFile, atomic_copy, staged_dir
from toolpast.write_errors import CannotWrite, restate

Usage = namedtuple("Usage", "total used free")
TORCH_FULL = "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534"
SAFETENSORS_FULL = "Error while serializing: I/O error: No space left on device (os error 28)"


@pytest.fixture
def read_only(monkeypatch):
    """`read_only(root)`: creating a directory or opening a file for writing under root fails with EROFS."""
    real_mkdir, real_open = os.mkdir, os.open

    def make(root: Path) -> Path:
        root = Path(os.path.abspath(root))

        def under(path) -> bool:
            path = Path(os.path.abspath(os.fsdecode(path)))
            return path == root or root in path.parents

        def mkdir(path, mode=0o777, *, dir_fd=None):
            if under(path):
                if os.path.exists(path):
                    raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_mkdir(path, mode, dir_fd=dir_fd)

        def open_(path, flags, mode=0o777, *, dir_fd=None):
            if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and under(path):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_open(path, flags, mode, dir_fd=dir_fd)

        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "open", open_)
        return root
    return make


def _one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "\n".join(err), err
    assert err[-1].startswith("toolpast: error: ")
    return err[-1]


def test_a_read_only_output_is_named_not_its_partial_dir(read_only, tmp_path):
    root = read_only(tmp_path / "ro")
    with pytest.raises(CannotWrite) as raised:
        with staged_dir(root / "out"):
            pass
    assert str(raised.value) == f"{root / 'out'}: read-only file system; give a path on a writable file system"
    with pytest.raises(CannotWrite, match=f"^{root / 'm.json'}: read-only file system"):
        with AtomicFile(root / "m.json", "w"):
            pass


def test_a_full_disk_says_so_whatever_the_library_says(tmp_path, monkeypatch):
    """ENOSPC with no file name (shutil.copyfileobj), safetensors' 'os error 28' and torch's 'unexpected pos'
    (no errno at all: a full disk is told by the free space left where it wrote) all name the output."""
    monkeypatch.setattr(shutil, "copyfileobj", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space")))
    (tmp_path / "src").write_text("x")
    with pytest.raises(CannotWrite, match=f"^{tmp_path / 'dst'}: the disk is full .+; free space there or write it "
                                          "to a disk with room, and rerun$"):
        atomic_copy(tmp_path / "src", tmp_path / "dst")
    for message in (SAFETENSORS_FULL, TORCH_FULL):
        with pytest.raises(CannotWrite, match=f"^{tmp_path / 'out'}: the disk is full") as raised:
            with staged_dir(tmp_path / "out"):
                monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 * 2**30, 10 * 2**30, 2**20))
                raise RuntimeError(message)
        assert isinstance(raised.value.__cause__, RuntimeError) and raised.value.errno == errno.ENOSPC
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 * 2**30, 2**30, 9 * 2**30))
    with pytest.raises(RuntimeError, match="unexpected pos"):  # room left: torch failed for another reason
        with staged_dir(tmp_path / "out"):
            raise RuntimeError(TORCH_FULL)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_errors_about_other_files_keep_their_own_message(tmp_path):
    """An input that cannot be read while an output is written is not the output's fault."""
    denied = PermissionError(errno.EACCES, "Permission denied", "/models/target/model.safetensors")
    with pytest.raises(PermissionError) as raised:
        with staged_dir(tmp_path / "out"):
            raise denied
    assert raised.value is denied
    assert restate(ValueError("bad")) is None and restate(OSError(errno.EIO, "I/O error")) is None
    line = restate(OSError(errno.EROFS, "Read-only file system", "/mnt/ro/x"))
    assert str(line) == "/mnt/ro/x: read-only file system; give a path on a writable file system"


def test_skill_inject_to_a_read_only_or_full_place_is_one_line(read_only, tiny_model_dir, tmp_path, capsys,
                                                               monkeypatch):
    fused = ["skill", "inject", "--model", str(tiny_model_dir), "--rl", str(tiny_model_dir), "--sft",
             str(tiny_model_dir)]
    root = read_only(tmp_path / "ro")
    assert main([*fused, "--out", str(root / "out")]) == 2
    assert _one_line(capsys) == f"toolpast: error: {root / 'out'}: read-only file system; give a path on a " \
                                "writable file system"
    from toolpast.vectors.shards import ShardedSafetensorsWriter

    def full(self):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(ShardedSafetensorsWriter, "_finish_shard", full)
    assert main([*fused, "--out", str(tmp_path / "out")]) == 2
    assert _one_line(capsys).startswith(f"toolpast: error: {tmp_path / 'out'}: the disk is full")
    assert list(tmp_path.iterdir()) == []  # no partial directory left behind


def test_leaderboard_merge_to_a_read_only_place_is_one_line(read_only, tmp_path, capsys):
    from toolpast.leaderboard.schema import Leaderboard

    board = tmp_path / "a.json"
    board.write_text(Leaderboard().model_dump_json())
    root = read_only(tmp_path / "ro")
    assert main(["leaderboard", "merge", str(board), "--out", str(root / "m.json")]) == 2
    assert _one_line(capsys) == f"toolpast: error: {root / 'm.json'}: read-only file system; give a path on a " \
                                "writable file system"


def test_a_read_only_toolpast_home_is_one_line(read_only, tmp_path, capsys, monkeypatch):
    home = read_only(tmp_path / "ro") / "home"
    monkeypatch.setenv("TOOLPAST_HOME", str(home))
    assert main(["run", "--preset", "smoke", "--category", "finance", "--export", str(tmp_path / "b.json")]) == 2
    line = _one_line(capsys)
    assert line.startswith(f"toolpast: error: {home}") and line.endswith(
        ": read-only file system; set TOOLPAST_HOME to a writable directory"), line

