"""QA leaderboard entries: pooled metrics with a Wilson interval, per-passage outcomes, SEAL's passage mean."""

from toolpast.leaderboard.schema import Leaderboard
from toolpast.qa.entries import QAResult, passage_mean, render_qa_table, to_entry
from toolpast.qa.presets import get_preset

CFG = get_preset("smoke", "squad")


def _entry(name, verdicts, knowledge="passage"):
    return to_entry(QAResult(name, knowledge, "single_passage", verdicts, "sha256:x", lam=1.0 if name == "past"
                             else None, rounds=1 if name == "past" else None),
                    CFG, "squad", "seal200_first2", "toolpast qa squad --preset smoke", "abc", "offline:v1")


def test_pooled_metrics_and_passage_mean_differ_as_seal_would_count():
    e = _entry("sft", {"0": [True, False, False, False], "1": [True]})
    assert (e.metrics.n, e.metrics.successes) == (5, 2) and abs(e.metrics.success_rate - 0.4) < 1e-12
    assert e.metrics.ci95_low < 0.4 < e.metrics.ci95_high
    assert [(o.task_id, o.successes, o.samples) for o in e.outcomes] == [("0", 1, 4), ("1", 1, 1)]
    assert abs(passage_mean(e.outcomes) - (0.25 + 1.0) / 2) < 1e-12
    assert e.suite == "squad" and e.book == "closed" and e.grader == "offline:v1"
    assert e.variant.knowledge == "passage" and e.variant.setting == "single_passage"
    assert e.provenance.command == "toolpast qa squad --preset smoke" and e.provenance.seeds == {"seed": 0}


def test_table_reports_past_minus_sft_per_passage():
    board = Leaderboard(entries=[_entry("sft", {"0": [False, False], "1": [True]}),
                                 _entry("past", {"0": [True, False], "1": [True]})])
    table = render_qa_table(board, "t")
    assert table.row_count == 2 and "+25.0 pts" in table.caption
    Leaderboard.model_validate_json(board.model_dump_json())  # round-trips through the schema
