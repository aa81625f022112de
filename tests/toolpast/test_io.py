"""`staged_dir`, the one atomic-output convention: a fresh partial dir is removed on an error, a resumable one keeps
its work for the next run, and an existing output is replaced only once the new one is complete."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolpast.io import AtomicFile, partial_dir, staged_dir


def test_fresh_partial_dir_is_removed_on_error_and_final_must_be_new(tmp_path):
    out = tmp_path / "v"
    with pytest.raises(RuntimeError):
        with staged_dir(out) as work:
            assert work.name == f"v.partial-{os.getpid()}"
            (work / "a").write_text("x")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with staged_dir(out) as work:
        (work / "a").write_text("1")
    with pytest.raises(FileExistsError):
        with staged_dir(out):
            pass
    with staged_dir(out, overwrite=True) as work:
        (work / "b").write_text("2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v"] and [p.name for p in out.iterdir()] == ["b"]


def test_resumable_partial_dir_keeps_work_across_failures(tmp_path):
    out = tmp_path / "model"
    assert partial_dir(out, resumable=True) == tmp_path / "model.partial"
    with pytest.raises(RuntimeError):
        with staged_dir(out, overwrite=True, resumable=True, scratch=frozenset({".inputs.json"})) as work:
            (work / ".inputs.json").write_text("{}")
            raise RuntimeError  # nothing but scratch: no work to resume, no partial dir left
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(RuntimeError):
        with staged_dir(out, overwrite=True, resumable=True) as work:
            (work / "checkpoint-1").write_text("step 1")
            raise RuntimeError
    with staged_dir(out, overwrite=True, resumable=True) as work:
        assert (work / "checkpoint-1").read_text() == "step 1"  # the next run resumes from it
        (work / "weights").write_text("w")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint-1", "weights"]


def test_atomic_file_leaves_no_temp_file(tmp_path):
    with pytest.raises(RuntimeError):
        with AtomicFile(tmp_path / "f", "w") as handle:
            handle.write("half")
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with AtomicFile(tmp_path / "f", "w") as handle:
        handle.write("whole")
    assert [p.name for p in tmp_path.iterdir()] == ["f"] and (tmp_path / "f").read_text() == "whole"


def test_first_wins_keeps_a_build_published_meanwhile(tmp_path):
    final = tmp_path / "model"
    with staged_dir(final, first_wins=True) as partial:
        (partial / "mine").write_text("late")
        final.mkdir()  # another process published the same content while this one built
        (final / "theirs").write_text("first")
    assert sorted(p.name for p in final.iterdir()) == ["theirs"]
    assert not partial.exists()


def _killed_inside_staged_dir(out) -> int:
    """The pid of a process killed (no cleanup runs) while it was writing `out`: it leaves `<out>.partial-<pid>`."""
    script = (f"import os\nfrom toolpast.io import staged_dir\nwith staged_dir({str(out)!r}) as work:\n"
              "    (work / 'shard').write_text('half')\n    os._exit(9)\n")
    with subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True,
                          cwd=Path(__file__).resolve().parents[2]) as proc:
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 9, err
    return proc.pid


def test_the_next_write_removes_the_partial_dir_of_a_killed_writer_only(tmp_path):
    """A kill (skill inject, extract) leaves `<out>.partial-<pid>`: the next write of the same output removes it
    once that pid is dead here, and keeps a live process's (a concurrent writer's) and other outputs' ones."""
    out = tmp_path / "v"
    dead = _killed_inside_staged_dir(out)
    assert [p.name for p in tmp_path.iterdir()] == [f"v.partial-{dead}"]
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as live:
        try:
            (tmp_path / f"v.partial-{live.pid}").mkdir()
            (tmp_path / f"w.partial-{dead}").mkdir()  # another output's: not this write's business
            with staged_dir(out) as work:
                (work / "a").write_text("1")
            assert sorted(p.name for p in tmp_path.iterdir()) == ["v", f"v.partial-{live.pid}", f"w.partial-{dead}"]
        finally:
            live.kill()
