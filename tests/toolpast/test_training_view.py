"""The live RL view: sparkline scaling, the last-steps table, and the callback recording every logged step."""

import json
from types import SimpleNamespace

from rich.console import Console

from toolpast import training_view
from toolpast.training_view import LiveTrainingCallback, history_table, sparkline

KEYS = {"reward": "reward", "kl": "kl", "tokens": "completions/mean_length"}


def test_sparkline_spans_min_to_max():
    assert sparkline([0.0, 0.5, 1.0]) == "▁▅█"
    assert sparkline([0.2, 0.2]) == "▁▁" and sparkline([]) == ""


def test_history_table_shows_last_steps_and_the_reward_trend():
    rows = [{"step": s, "reward": s / 10, "kl": 0.01 * s} for s in range(1, 12)]
    console = Console(record=True, width=120)
    console.print(history_table(rows, KEYS, last=3))
    text = console.export_text()
    assert "first 0.100 -> last 1.100" in text
    assert " 11 " in text and " 8 " not in text  # only the last 3 steps
    assert "-" in text  # the missing tokens column


def test_callback_logs_jsonl_and_drives_a_live_table_on_a_terminal(tmp_path, monkeypatch):
    terminal = Console(force_terminal=True, record=True, width=120)
    monkeypatch.setattr(training_view, "console", terminal)
    callback = LiveTrainingCallback("rl", tmp_path / "log.jsonl", keys=KEYS)
    state = SimpleNamespace(max_steps=2, global_step=0)
    callback.on_train_begin(None, state, None)
    for step, reward in ((1, 0.1), (2, 0.3)):
        state.global_step = step
        callback.on_log(None, state, None, logs={"reward": reward, "kl": 0.0})
    callback.on_train_end(None, state, None)
    assert [r["reward"] for r in callback.rows] == [0.1, 0.3]
    assert [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()] == [1, 2]
    assert "first 0.100 -> last 0.300" in terminal.export_text()
