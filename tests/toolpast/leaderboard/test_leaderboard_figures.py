"""The transfer table drawn: the forest plot's rows are the table's numbers, seeds appear as points, the average
as a diamond over its interval; the ladder's rungs say which rung holds or fails; the page's title says what the
table is."""

from __future__ import annotations

import re

import pytest
from test_transfer import _board

from toolpast.leaderboard import figures
from toolpast.leaderboard.html import render_page
from toolpast.leaderboard.transfer import ladder, transfer_table


def _attrs(svg: str, tag: str, cls: str) -> list[dict[str, str]]:
    found = re.findall(rf'<{tag} class="{cls}"([^>]*)>', svg)
    return [dict(re.findall(r'([\w-]+)="([^"]*)"', a)) for a in found]


def test_the_forest_rows_are_the_tables_numbers(make_entry):
    board = _board(make_entry)
    table = transfer_table(board)
    svg = figures.render_forest(table)
    rows = _attrs(svg, "g", "forest-row")
    assert [r["data-category"] for r in rows] == ["finance", "music", "weather"]
    for r, row in zip(rows, table.rows):
        assert float(r["data-diff"]) == pytest.approx(100 * row.past_minus_sft.mean)
        assert float(r["data-low"]) == pytest.approx(100 * row.ci95_low)
        assert float(r["data-high"]) == pytest.approx(100 * row.ci95_high)
    assert 'class="seed"' not in svg  # one seed: the square is the seed
    average = re.search(r'<g id="forest-average" data-diff="([^"]*)" data-low="([^"]*)" data-high="([^"]*)"', svg)
    assert float(average.group(1)) == pytest.approx(100 * table.average.past_minus_sft.mean)
    assert 'class="zero"' in svg  # the line at 0 is drawn


def test_seeds_are_points_on_their_row(make_entry):
    table = transfer_table(_board(make_entry, seeds=(0, 1)))
    svg = figures.render_forest(table)
    seeds = _attrs(svg, "circle", "seed")
    assert len(seeds) == 2 * len(table.rows) and {s["data-seed"] for s in seeds} == {"0", "1"}


def test_the_ladder_says_which_rung_holds(make_entry):
    board = _board(make_entry)
    steps = ladder(board)
    rungs = {rid: verdict for rid, _, _, verdict in figures.ladder_rungs(steps)}
    assert rungs == {"rung-0": "unmeasured", "rung-a": "holds", "rung-b": "unclear", "rung-c": "unclear"}
    svg = figures.render_ladder(steps)
    assert svg.index('id="rung-0"') < svg.index('id="rung-c"')
    assert 'data-verdict="holds"' in svg and "source RL - source SFT +20.0 points" in svg


def test_the_page_draws_both_and_its_title_says_what_the_table_is(make_entry):
    page = render_page(_board(make_entry))
    assert '<svg id="forest"' in page and '<svg id="ladder-picture"' in page
    assert "<title>PaST transfer to 3 RL-unseen synthetic targets (" in page
    assert "test split; 1 seed)</title>" in page
