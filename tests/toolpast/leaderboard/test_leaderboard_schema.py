import pytest
from pydantic import ValidationError

from toolpast.leaderboard.json_schema import SCHEMA_PATH, render_schema
from toolpast.leaderboard.schema import Metrics


def test_committed_schema_is_current():
    assert SCHEMA_PATH.read_text() == render_schema(), "regenerate with: toolpast leaderboard schema"


def test_metrics_must_be_consistent():
    Metrics(success_rate=0.5, n=4, successes=2, ci95_low=0.15, ci95_high=0.85)
    with pytest.raises(ValidationError, match="successes / n"):
        Metrics(success_rate=0.9, n=4, successes=2, ci95_low=0.15, ci95_high=0.85)
    with pytest.raises(ValidationError):
        Metrics(success_rate=0.5, n=4, successes=2, ci95_low=0.15, ci95_high=0.85, unknown_field=1)


def test_committed_leaderboards_validate():
    """Every export committed under leaderboards/ parses with the current schema and names its command."""
    from toolpast.leaderboard.schema import Leaderboard

    # *.digests.json: the regression gate's transcript digests that sit next to its baseline, not a leaderboard
    exports = [p for p in SCHEMA_PATH.parent.glob("*.json")
               if p != SCHEMA_PATH and not p.name.endswith(".digests.json")]
    assert exports
    for path in exports:
        board = Leaderboard.model_validate_json(path.read_text())
        assert board.entries and all(e.provenance.command.startswith("toolpast ") for e in board.entries)
