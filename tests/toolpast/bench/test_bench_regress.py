"""The CI regression gate: a worse rate beyond the tolerance fails, better or equal passes, and the real command
round-trips a baseline on the tiny model."""

import json

from toolpast.bench.regress import RegressConfig, compare, run_regress
from toolpast.leaderboard.schema import Leaderboard, Metrics

TINY = RegressConfig(model="tiny-random", tasks=2, books=["closed"], max_turns=1, max_new_tokens=8)


def _board(**metrics) -> Leaderboard:
    base = {"success_rate": 0.0, "n": 8, "successes": 0, "ci95_low": 0.0, "ci95_high": 0.32,
            "finished_rate": 0.5, "valid_call_rate": 0.5, "api_recall": 0.25, "error_observation_rate": 0.2,
            "mean_model_tokens": 40.0, "mean_steps": 2.0}
    entry = {"model": {"name": "m", "weights_sha256": "h"}, "variant": {"name": "base"}, "suite": "native",
             "category": "finance", "book": "closed", "metrics": Metrics(**{**base, **metrics}).model_dump(),
             "provenance": {"toolpast_version": "0", "git_commit": None, "command": "toolpast bench regress",
                            "preset": "regress", "config_hash": "c", "seeds": {}, "backend": "hf", "date": "d"}}
    return Leaderboard.model_validate({"entries": [entry]})


def test_compare_flags_only_worsening_beyond_the_tolerance():
    baseline = _board()
    assert compare(baseline, _board(finished_rate=0.45), 0.1)[1] == []          # within tolerance
    assert compare(baseline, _board(finished_rate=0.9, mean_model_tokens=44.0), 0.1)[1] == []  # better; 10% drift
    _, regressions = compare(baseline, _board(valid_call_rate=0.25, error_observation_rate=0.5), 0.1)
    assert len(regressions) == 2 and "valid_call_rate" in regressions[0] and "error_observation_rate" in regressions[1]
    _, regressions = compare(baseline, _board(mean_model_tokens=20.0), 0.1)  # the model now says much less
    assert len(regressions) == 1 and "mean_model_tokens" in regressions[0]


def test_regress_command_round_trip_on_the_tiny_model(tmp_path, capsys):
    path = tmp_path / "baseline.json"
    assert run_regress(path, cfg=TINY) == 2  # no baseline yet
    assert run_regress(path, update=True, cfg=TINY) == 0
    assert run_regress(path, cfg=TINY) == 0
    assert capsys.readouterr().out.strip().endswith("regressions: 0")
    board = json.loads(path.read_text())
    board["entries"][0]["metrics"]["error_observation_rate"] = -0.5  # a baseline the harness cannot match
    path.write_text(json.dumps(board))
    assert run_regress(path, cfg=TINY) == 1
    assert "REGRESSION finance/closed error_observation_rate" in capsys.readouterr().out
    assert run_regress(path, cfg=TINY.model_copy(update={"tasks": 3})) == 2  # another task set: needs --update
