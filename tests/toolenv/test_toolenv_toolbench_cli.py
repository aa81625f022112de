"""``python -m toolenv toolbench stats|check`` on the shared files and on any file of the same format; ``serve``'s
one-line errors."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "toolenv", "toolbench", *args], capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip().splitlines()


def test_stats_prints_query_and_api_counts_per_category(toolbench_dir):
    lines = _cli("stats", "--data", str(toolbench_dir))
    assert len(lines) == 1 + 47 + 1
    assert re.fullmatch(r"Finance +40 +\d+ +\d+ +\d+ +\d+", next(x for x in lines if x.startswith("Finance ")))
    assert re.fullmatch(r"total \(47 categories\) +580 +474 +106 +\d+ +\d+", lines[-1])


def test_check_oracle_solves_everything_and_finishing_at_once_nothing(toolbench_dir):
    assert _cli("check", "--data", str(toolbench_dir))[-2:] == ["oracle_success: 1.0", "finish_now_success: 0.0"]


def test_check_works_on_another_file_of_the_same_format(tiny_toolbench):
    lines = _cli("check", "--data", str(tiny_toolbench / "test_instruction" / "G1_instruction.json"), "--seed", "3")
    assert lines[0].startswith("queries: 5 in 2 categories")
    assert lines[-2:] == ["oracle_success: 1.0", "finish_now_success: 0.0"]


def test_bad_data_is_a_clean_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "toolenv", "toolbench", "stats", "--data", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "no ToolBench data" in proc.stderr


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "toolenv", "toolbench", "serve", *args], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_serve_refuses_a_bad_port_in_one_line_before_loading_data(port, tmp_path):
    proc = _serve("--port", port, "--data", str(tmp_path / "not-there"))  # the port is checked first
    assert (proc.returncode, proc.stderr) == (1, f"error: --port must be 0-65535 (0 picks a free port), got {port}\n")


def test_serve_on_a_port_in_use_is_one_line(tiny_toolbench):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _serve("--port", str(port), "--data", str(tiny_toolbench))
    assert (proc.returncode, proc.stderr) == (1, f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n")
