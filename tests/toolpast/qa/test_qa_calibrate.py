"""`toolpast qa calibrate`: the table's last line, kappa, bad input, and agreement on SEAL's real files."""

import json
from pathlib import Path

import pytest

from toolpast.cli import main
from toolpast.qa.calibrate import agreement, cohen_kappa, load_verdicts

CALIBRATION = Path(__file__).resolve().parents[4] / "shared" / "data" / "squad" / "judge_calibration"
# The target was 0.90; no lexical rule tried got there (a logistic regression on the grader's
# features reaches 0.89 held-out too). This floor catches regressions of offline:v1 (0.895 when written).
FLOOR = 0.89


def _seal_file(path, rows):
    """rows: (title, question, gold, baseline_answer, baseline_correct, adapter_answer, adapter_correct)"""
    articles = [{"title": t, "completions": [{"questions": [{
        "question": q, "answer": g, "baseline_answer": ba, "baseline_correct": bc, "adapter_answer": aa,
        "adapter_correct": ac}]}]} for t, q, g, ba, bc, aa, ac in rows]
    path.write_text(json.dumps({"articles": articles}))
    return path


def test_kappa_and_confusion():
    a = agreement("x", [True, True, False, False], [True, False, False, False])
    assert (a.yes_yes, a.yes_no, a.no_yes, a.no_no) == (1, 1, 0, 2) and a.agreement == 0.75
    assert cohen_kappa([True, False, True, False], [True, False, True, False]) == 1.0
    assert cohen_kappa([True, True, False, False], [True, False, True, False]) == 0.0


def test_cli_last_line(tmp_path, capsys):
    f = _seal_file(tmp_path / "a.json", [
        ("Genghis Khan", "Which town?", "Otrar", "Otrar", True, "Bukhara", False),
        ("Genghis Khan", "What metal?", "silver", "Molten silver.", True, "gold", True),
    ])
    out_json = tmp_path / "report.json"
    assert main(["qa", "calibrate", "--verdicts", str(f), "--json", str(out_json)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "agreement: 0.750 kappa: 0.500"
    assert any(line.startswith("a.json") for line in lines) and "offline:v1" in lines[0]
    assert json.loads(out_json.read_text())["pooled"]["n"] == 4
    assert load_verdicts(f)[0].question == "Topic: Genghis Khan\nWhich town?"


def test_bad_verdict_file_is_named(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"articles": [{"title": "T", "completions": [{"questions": [{"question": "q"}]}]}]}))
    assert main(["qa", "calibrate", "--verdicts", str(bad)]) == 2
    assert "bad.json article 0" in capsys.readouterr().err


@pytest.mark.skipif(not CALIBRATION.is_dir(), reason="../shared/data/squad/judge_calibration absent")
def test_agreement_with_gpt41_on_seals_files(tmp_path, capsys):
    files = sorted(str(p) for p in CALIBRATION.glob("*.json"))
    report_path = tmp_path / "report.json"
    assert main(["qa", "calibrate", "--verdicts", *files, "--json", str(report_path)]) == 0
    _, agree, _, kappa = capsys.readouterr().out.strip().splitlines()[-1].split()
    assert float(agree) >= FLOOR and float(kappa) >= 0.7
    report = json.loads(report_path.read_text())
    # Overfitting guard: refitting the thresholds on either file or either half of the passages picks the shipped
    # ones, and the halves score within sampling noise of the pooled agreement.
    assert len(report["cross_fit"]) == 4
    assert all(cf["config"] == report["config"] for cf in report["cross_fit"])
    assert min(cf["heldout"]["agreement"] for cf in report["cross_fit"]) >= FLOOR - 0.02
