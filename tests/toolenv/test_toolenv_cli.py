"""The command line: list, show, play (piped stdin) and bench."""

import re
import subprocess
import sys

import toolenv
from toolenv.oracle import oracle_actions


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "toolenv", *args], input=stdin, capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_list_prints_one_slug_per_line_and_nothing_else():
    assert _cli("list").splitlines() == toolenv.list_categories()


def test_show_prints_apis_and_sample_tasks():
    out = _cli("show", "Finance", "--n", "2")
    assert "get_quote_for_stock_quotes" in out and "finance/test/0001" in out


def test_play_accepts_piped_actions():
    task = toolenv.get_category("finance").tasks("test")[4]
    out = _cli("play", "finance", "--task-index", "4", stdin="\n\n".join(oracle_actions(task)) + "\n")
    assert task.query in out and '"success": true' in out and "[done]" in out


def test_bench_ends_with_steps_per_second():
    last = _cli("bench", "--repeats", "1", "--per-category", "2").strip().splitlines()[-1]
    assert re.fullmatch(r"steps_per_second: \d+", last)


def test_unknown_category_is_a_clean_error():
    proc = subprocess.run([sys.executable, "-m", "toolenv", "show", "nope"], capture_output=True, text=True)
    assert proc.returncode != 0 and "valid categories" in proc.stderr
