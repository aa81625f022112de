from rich.console import Console

from toolpast.leaderboard.paired import compare
from toolpast.leaderboard.schema import Leaderboard
from toolpast.leaderboard.table import render_leaderboard


def _text(board: Leaderboard) -> str:
    console = Console(record=True, width=250)
    console.print(render_leaderboard(board))
    return console.export_text()


def test_table_shows_pass_k_and_a_paired_past_minus_sft_line(make_entry):
    sft = make_entry("sft", outcomes=[("a", 1, 2), ("b", 0, 2), ("c", 0, 2)], pass_at_k={"1": 1 / 6, "2": 1 / 3},
                     pass_hat_k={"1": 1 / 6, "2": 0.0}, samples_per_task=2)
    past = make_entry("past", outcomes=[("a", 2, 2), ("b", 1, 2), ("c", 0, 2)], lam=1.0,
                      pass_at_k={"1": 0.5, "2": 2 / 3}, pass_hat_k={"1": 0.5, "2": 1 / 3}, samples_per_task=2)
    text = _text(Leaderboard(entries=[sft, past]))
    for header in ("pass@1 %", "pass@2 %", "pass^1 %", "pass^2 %"):
        assert header in text
    assert "66.7" in text and "33.3" in text
    d = compare(past, sft)
    assert f"{100 * d.mean:+.1f} pts [{100 * d.ci95_low:+.1f}, {100 * d.ci95_high:+.1f}] (paired bootstrap, 3 tasks)" \
        in text.replace("\n", " ").replace("  ", " ")


def test_table_without_outcomes_says_unpaired(make_entry):
    text = _text(Leaderboard(entries=[make_entry("sft", 1, 20), make_entry("past", 2, 20, lam=1.0)]))
    assert "pass@" not in text and "+5.0 pts" in text and "unpaired Newcombe, 20 tasks" in text
