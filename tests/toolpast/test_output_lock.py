"""toolpast/output_lock.py: one run at a time writes a command's resumable `--out` (the store's own lock is tested in
test_artifacts_concurrency.py)."""

import json
import platform
import subprocess
import sys
import time

import pytest

from toolpast.cli import main
from toolpast.output_lock import exclusive_output
from toolpast.stage_lock import StageLocked, pid_space


def _owned_by(lock, pid: int) -> None:
    lock.write_text(json.dumps({"host": platform.node(), "pid": pid, "started": time.time(),
                                "token": "theirs", "pids": pid_space()}))


def test_a_second_writer_of_one_output_is_refused_at_once_and_names_the_first(tmp_path):
    out = tmp_path / "rl"
    with exclusive_output(out, "toolpast rl"):
        assert (tmp_path / "rl.lock").is_file()
        began = time.monotonic()
        refused = rf"toolpast rl --out {out}: pid \d+ on host .* is already writing it"
        with pytest.raises(StageLocked, match=refused), exclusive_output(out, "toolpast rl"):
            pass
        assert time.monotonic() - began < 5  # refused, not waited for
    assert not (tmp_path / "rl.lock").exists()  # released: nothing left beside the output


def test_a_killed_writers_lock_is_broken_by_the_next_run(tmp_path, capsys):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    _owned_by(tmp_path / "rl.lock", child.pid)
    with exclusive_output(tmp_path / "rl", "toolpast rl"):
        pass
    assert "broke the stale lock" in capsys.readouterr().err
    assert not (tmp_path / "rl.lock").exists()


def test_rl_refuses_an_output_another_live_run_is_writing(tiny_model_dir, tmp_path, capsys):
    """The CLI path: the running writer's partial work (its checkpoints) is left untouched."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _owned_by(tmp_path / "rl.lock", sleeper.pid)
        partial = tmp_path / "rl.partial" / "checkpoints"
        partial.mkdir(parents=True)
        (partial / "theirs").write_text("step 3")
        assert main(["rl", "--preset", "smoke", "--model", str(tiny_model_dir), "--categories", "finance",
                     "--out", str(tmp_path / "rl")]) == 2
    finally:
        sleeper.kill()
        sleeper.wait()
    assert f"pid {sleeper.pid} on host" in capsys.readouterr().err
    assert (partial / "theirs").read_text() == "step 3" and not (tmp_path / "rl").exists()
