"""The paper's transfer table of a sweep: per-category rows, the category-stratified average, seeds and the ladder."""

import statistics

import numpy as np
import pytest

from toolpast.cli import main
from toolpast.leaderboard import transfer as tr
from toolpast.leaderboard.html import render_page
from toolpast.leaderboard.paired import PAIRED, compare, paired_difference
from toolpast.leaderboard.schema import Entry, Leaderboard
from toolpast.leaderboard.stats import wilson_interval
from toolpast.leaderboard.transfer import ladder, render_files, render_markdown, transfer_table

# (category, variant) -> task indices (of 10) that succeed; music is the category where PaST is worse.
WINS = {("finance", "base"): {0}, ("finance", "sft"): {0, 1, 2}, ("finance", "past"): {0, 1, 2, 3, 4},
        ("music", "base"): set(), ("music", "sft"): {1, 2, 3, 4}, ("music", "past"): {1, 2},
        ("weather", "base"): {5}, ("weather", "sft"): {0, 1}, ("weather", "past"): {1, 2},
        ("movies", "source_sft"): {0, 1, 2, 3}, ("movies", "source_rl"): {0, 1, 2, 3, 4, 5}}
KNOWLEDGE = {("finance", "base"): 0.2, ("finance", "sft"): 0.6, ("finance", "past"): 0.7,
             ("music", "base"): 0.1, ("music", "sft"): 0.5}
# Seed 1 of the two-seed board.
WINS_1 = {("finance", "base"): {0, 1}, ("finance", "sft"): {0, 1, 2, 3}, ("finance", "past"): {0, 1, 2, 3},
          ("music", "base"): set(), ("music", "sft"): {1, 2, 3}, ("music", "past"): {1, 2, 3, 7},
          ("weather", "base"): {5}, ("weather", "sft"): {0, 1}, ("weather", "past"): {1, 2, 3},
          ("movies", "source_sft"): {0, 1, 2}, ("movies", "source_rl"): {0, 1, 2, 3, 4}}

EXPECTED = """\
### PaST transfer (synthetic, test split, closed book)

| category | base | target SFT | PaST | PaST - SFT [95% CI] |
| --- | ---: | ---: | ---: | ---: |
| finance | 10.0% (1/10) [1.8, 40.4] | 30.0% (3/10) [10.8, 60.3] | 50.0% (5/10) [23.7, 76.3] | +20.0 [+0.0, +50.0] |
| music | 0.0% (0/10) [0.0, 27.8] | 40.0% (4/10) [16.8, 68.7] | 20.0% (2/10) [5.7, 51.0] | -20.0 [-50.0, +0.0] |
| weather | 10.0% (1/10) [1.8, 40.4] | 20.0% (2/10) [5.7, 51.0] | 20.0% (2/10) [5.7, 51.0] | +0.0 [-30.0, +30.0] |
| **average (3 categories)** | 6.7% | 30.0% | 30.0% | +0.0 [-13.3, +16.7] |

PaST - SFT >= 0 in 2 of 3 categories (> 0 in 1, < 0 in 1).

Success: Wilson 95% intervals. PaST - SFT in percentage points with a paired bootstrap 95% interval over the tasks \
both were evaluated on (10,000 resamples, seed 0); the average is the mean over categories, its interval a paired \
bootstrap resampling tasks within each category.

### Diagnostic ladder

- **Knowledge** (closed-book questions on the target docs, held-out phrasings):

| category | base | target SFT | PaST |
| --- | ---: | ---: | ---: |
| finance | 20.0% (n=10) | 60.0% (n=10) | 70.0% (n=10) |
| music | 10.0% (n=10) | 50.0% (n=10) | - |
| **average (2 categories)** | 15.0% | 55.0% | 70.0% (1 category) |

- **Source RL vs source SFT** (on the source's own test tasks):
  - movies: source SFT 40.0% (4/10) [16.8, 68.7]; source RL 60.0% (6/10) [31.3, 83.2]; RL - SFT +20.0 \
[+0.0, +50.0] (paired bootstrap, 10 tasks)
- **Behaviour** (episode means over categories and seeds; what changes when success does not):

| model | categories | finished | valid calls | API recall | error obs. | turns |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| source SFT | 1 | 60.0% | 50.0% | 40.0% | 25.0% | 2.00 |
| source RL | 1 | 80.0% | 50.0% | 60.0% | 25.0% | 1.50 |
| target SFT | 3 | 50.0% | 50.0% | 30.0% | 25.0% | 2.00 |
| PaST | 3 | 50.0% | 50.0% | 30.0% | 25.0% | 1.50 |

- **Transfer**: PaST - SFT averaged over 3 categories: +0.0 [-13.3, +16.7] points; 2 of 3 >= 0.
"""


def _entry(make_entry, category: str, variant: str, wins: set[int], seed: int = 0, split: str = "test",
           lam: float = 1.0) -> Entry:
    outcomes = [(f"{category}-{i}", int(i in wins), 1) for i in range(10)]
    acc = KNOWLEDGE.get((category, variant)) if seed == 0 else None
    extra = {"knowledge_accuracy": acc, "knowledge_n": 10} if acc is not None else {}
    # behaviour the ladder averages: hand-checkable functions of the wins
    extra.update(finished_rate=(len(wins) + 2) / 10, api_recall=len(wins) / 10, valid_call_rate=0.5,
                 error_observation_rate=0.25, mean_steps=1.5 if variant in ("past", "source_rl") else 2.0)
    e = make_entry(variant, outcomes=outcomes, category=category, lam=lam if variant == "past" else None,
                   date=f"2026-11-28T12:00:0{seed}+00:00", config_hash=f"cfg-{split}-{seed}", **extra)
    provenance = e.provenance.model_copy(update={"seeds": {"seed": seed}})
    return e.model_copy(update={"split": split, "provenance": provenance})


def _board(make_entry, seeds: tuple[int, ...] = (0,)) -> Leaderboard:
    entries = [_entry(make_entry, c, v, w) for (c, v), w in WINS.items()]
    if 1 in seeds:
        entries += [_entry(make_entry, c, v, w, seed=1) for (c, v), w in WINS_1.items()]
    return Leaderboard(entries=entries)


def _by(board: Leaderboard, category: str, variant: str, seed: int = 0) -> Entry:
    (e,) = [e for e in board.entries if e.category == category and e.variant.name == variant
            and e.provenance.seeds["seed"] == seed]
    return e


def test_markdown_is_the_papers_table(make_entry):
    board = _board(make_entry)
    table = transfer_table(board)
    text = render_markdown(table, ladder(board, table))
    assert text == EXPECTED
    assert text == render_markdown(transfer_table(board), ladder(board))  # deterministic


def test_rows_use_paired_compare_and_wilson(make_entry):
    board = _board(make_entry)
    table = transfer_table(board)
    assert [r.category for r in table.rows] == ["finance", "music", "weather"]  # movies is a source, not a target
    for r in table.rows:
        past, sft = _by(board, r.category, "past"), _by(board, r.category, "sft")
        assert r.per_seed[0].diff == compare(past, sft) == paired_difference(past, sft)
        assert (r.past_minus_sft.mean, r.ci95_low, r.ci95_high, r.method) == (
            compare(past, sft).mean, compare(past, sft).ci95_low, compare(past, sft).ci95_high, PAIRED)
        rate = r.sft.per_seed[0]
        assert (rate.ci95_low, rate.ci95_high) == wilson_interval(sft.metrics.successes, sft.metrics.n)
        assert r.past_minus_sft.std is None and r.base is not None


def test_average_is_stratified_reproducible_and_counts(make_entry):
    board = _board(make_entry)
    a = transfer_table(board).average
    means = [transfer_table(board).rows[i].past_minus_sft.mean for i in range(3)]
    assert a.past_minus_sft.mean == pytest.approx(statistics.fmean(means)) == pytest.approx(0.0)
    assert a.sft.mean == pytest.approx(0.3) and a.base.mean == pytest.approx(0.2 / 3)
    assert a.method == tr.STRATIFIED and a.resamples == 10000 and a.n_tasks == 30
    assert a.ci95_low <= a.past_minus_sft.mean <= a.ci95_high and a.ci95_low < a.ci95_high
    again = transfer_table(board).average
    assert (again.ci95_low, again.ci95_high) == (a.ci95_low, a.ci95_high)
    assert (a.nonnegative, a.positive, a.negative) == (2, 1, 1)
    # The resampling by hand: tasks within each category, same size, with replacement; mean of category means.
    strata = [np.array([(i in WINS[(c, "past")]) - (i in WINS[(c, "sft")]) for i in range(10)], dtype=float)
              for c in ("finance", "music", "weather")]
    rng = np.random.default_rng(0)
    total = sum(d[rng.integers(0, 10, size=(10000, 10))].mean(axis=1) for d in strata)
    assert (a.ci95_low, a.ci95_high) == tuple(np.quantile(total / 3, [0.025, 0.975]))
    # One stratum draws exactly what the paired bootstrap of one category draws.
    d = paired_difference(_by(board, "music", "past"), _by(board, "music", "sft"))
    assert tr.stratified_bootstrap([strata[1]]) == (d.ci95_low, d.ci95_high)


def test_two_seeds_report_mean_and_spread(make_entry):
    board = _board(make_entry, seeds=(0, 1))
    table = transfer_table(board)
    assert table.seeds == [0, 1]
    for r in table.rows:
        diffs = [compare(_by(board, r.category, "past", s), _by(board, r.category, "sft", s)).mean for s in (0, 1)]
        assert [sd.diff.mean for sd in r.per_seed] == diffs
        assert r.past_minus_sft.mean == pytest.approx(statistics.fmean(diffs))
        assert r.past_minus_sft.std == pytest.approx(statistics.stdev(diffs))
        assert (r.past_minus_sft.min, r.past_minus_sft.max) == (min(diffs), max(diffs))
        assert r.method == tr.POOLED and r.ci95_low <= r.past_minus_sft.mean <= r.ci95_high
    finance = table.rows[0]
    assert tr.variant_cell(finance.sft) == "35.0% ± 7.1 (30.0..40.0)"
    assert tr.diff_cell(finance) == "+10.0 ± 14.1 (+0.0..+20.0) [+0.0, +25.0]"
    per_seed = [statistics.fmean(r.per_seed[s].diff.mean for r in table.rows) for s in (0, 1)]
    a = table.average
    assert a.past_minus_sft.mean == pytest.approx(statistics.fmean(per_seed))
    assert a.past_minus_sft.std == pytest.approx(statistics.stdev(per_seed))
    assert a.ci95_low <= a.past_minus_sft.mean <= a.ci95_high and a.method == tr.HIERARCHICAL
    text = render_markdown(table, ladder(board, table))
    assert "the average's is a two-level paired bootstrap: seeds resampled" in text
    assert "| **average (3 categories)** | 8.3% ± 2.4 | 30.0% ± 0.0 | 33.3% ± 4.7 | +3.3 ± 4.7 [" in text
    assert "Seeds 0, 1: cells are mean ± sample std over seeds" in text
    assert "  - movies, seed 1: source SFT 30.0% (3/10)" in text


def test_the_average_interval_holds_the_spread_of_seeds():
    """Two seeds that disagree (every task +1 under one, -1 under the other): pooling each task over seeds sees
    no spread at all, the two-level bootstrap sees that a third seed could land anywhere between them."""
    cells = [[np.ones(30), -np.ones(30)] for _ in range(4)]
    pooled = tr.stratified_bootstrap([np.zeros(30)] * 4)  # each task's mean over the two seeds is 0
    low, high = tr.hierarchical_bootstrap(cells)
    assert pooled == (0.0, 0.0) and low == -1.0 and high == 1.0
    same = [[np.r_[np.ones(10), np.zeros(20)]] * 2 for _ in range(4)]  # identical seeds: only the tasks vary
    assert tr.hierarchical_bootstrap(same) == pytest.approx(tr.stratified_bootstrap([d[0] for d in same]), abs=0.03)
    with pytest.raises(ValueError, match="the same seeds"):
        tr.hierarchical_bootstrap([[np.ones(3), np.ones(3)], [np.ones(3)]])


def test_ladder_knowledge_source_and_transfer(make_entry):
    board = _board(make_entry)
    table = transfer_table(board)
    steps = ladder(board, table)
    assert [k.category for k in steps.knowledge] == ["finance", "music"]
    assert steps.knowledge_average.accuracy == pytest.approx({"base": 0.15, "sft": 0.55, "past": 0.7})
    assert steps.knowledge_average.counts == {"base": 2, "sft": 2, "past": 1}
    (source,) = steps.source
    rl, sft = _by(board, "movies", "source_rl"), _by(board, "movies", "source_sft")
    assert source.rl_minus_sft == compare(rl, sft)
    assert (source.source_rl.ci95_low, source.source_rl.ci95_high) == wilson_interval(6, 10)
    assert steps.transfer == table.average


def test_a_chosen_rl_policy_is_named_in_the_ladder(make_entry):
    """rl.select_every: the source RL row says which GRPO step's policy it is (recorded on the entry's variant)."""
    board = _board(make_entry)
    rl = _by(board, "movies", "source_rl")
    chosen = rl.model_copy(update={"variant": rl.variant.model_copy(update={"rl_step": 24})})
    board = Leaderboard(entries=[chosen if e is rl else e for e in board.entries])
    (source,) = ladder(board).source
    assert source.rl_step == 24
    assert "source RL (the policy of step 24, chosen on held-out source tasks) 60.0% (6/10)" in render_markdown(
        transfer_table(board), ladder(board))
    assert Leaderboard.model_validate_json(board.model_dump_json()) == board  # the field round-trips


def test_validation_split_is_never_mixed_in(make_entry):
    board = _board(make_entry)
    tuning = [_entry(make_entry, "finance", "past", set(range(10)), split="validation", lam=2.0),
              _entry(make_entry, "finance", "sft", set(), split="validation")]
    mixed = Leaderboard(entries=board.entries + tuning)
    with pytest.raises(ValueError, match="mixes splits"):
        transfer_table(mixed)
    assert transfer_table(mixed, split="test") == transfer_table(board)
    validation = transfer_table(mixed, split="validation")
    assert [r.category for r in validation.rows] == ["finance"] and validation.rows[0].past_minus_sft.mean == 1.0
    text = render_markdown(validation, ladder(mixed, validation))
    assert "Validation split: held-out train tasks for tuning" in text
    assert "(on the source's own validation tasks): not evaluated" in text  # the rung names the split it used


def test_several_lambdas_need_a_choice(make_entry):
    board = _board(make_entry)
    other = _entry(make_entry, "music", "past", set(range(10)), lam=0.5)
    both = Leaderboard(entries=board.entries + [other])
    with pytest.raises(ValueError, match="different setups"):
        transfer_table(both)
    assert transfer_table(both, lam=1.0) == transfer_table(board)
    (music,) = transfer_table(both, lam=0.5).rows  # lam= filters every PaST entry: only music has lambda 0.5
    assert music.category == "music" and music.past.per_seed[0].successes == 10



def _other_recipe(e: Entry, wins: set[int] | None = None) -> Entry:
    """`e` as another recipe's run gave it (another config hash and preset), a day later."""
    provenance = e.provenance.model_copy(update={"config_hash": "cfg-other", "preset": "paper",
                                                 "date": "2026-11-29T12:00:00+00:00"})
    outcomes = None if wins is None else [o.model_copy(update={"successes": int(i in wins)})
                                          for i, o in enumerate(e.outcomes)]
    metrics = e.metrics if wins is None else e.metrics.model_copy(update={
        "successes": len(wins), "success_rate": len(wins) / 10})
    return e.model_copy(update={"provenance": provenance, "outcomes": outcomes or e.outcomes, "metrics": metrics})


def test_pairs_from_two_recipes_are_refused_unless_asked(make_entry, tmp_path, capsys):
    """A merged board of two recipes: PaST is compared with the target SFT of its own run config (config hash),
    even when another recipe's is newer; with only another recipe's the table refuses, naming both configs, unless
    --allow-mixed-configs. The same holds for source RL vs source SFT."""
    board = _board(make_entry)
    newer = [_other_recipe(e, set()) for e in board.entries if e.variant.name in ("sft", "source_sft")]
    both = Leaderboard(entries=board.entries + newer)
    assert transfer_table(both) == transfer_table(board) and ladder(both).source == ladder(board).source
    mixed = Leaderboard(entries=[e for e in board.entries if (e.category, e.variant.name) != ("finance", "sft")]
                        + [_other_recipe(_by(board, "finance", "sft"), set())])
    line = (r"^synthetic/finance \(seed 0\): PaST is from config cfg-test-0 \(preset smoke\) but target SFT only "
            r"from config cfg-other \(preset paper\), another recipe; pass --allow-mixed-configs")
    with pytest.raises(ValueError, match=line):
        transfer_table(mixed)
    finance = transfer_table(mixed, mixed_configs=True).rows[0]
    assert finance.category == "finance" and finance.sft.per_seed[0].successes == 0
    path = tmp_path / "mixed.json"
    path.write_text(mixed.model_dump_json())
    assert main(["leaderboard", "table", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "cfg-test-0" in err and "cfg-other" in err, err
    assert main(["leaderboard", "table", str(path), "--allow-mixed-configs"]) == 0
    assert "| finance | 10.0% (1/10) [1.8, 40.4] | 0.0% (0/10)" in capsys.readouterr().out
    source = Leaderboard(entries=[e for e in board.entries if e.variant.name != "source_sft"]
                         + [_other_recipe(_by(board, "movies", "source_sft"))])
    with pytest.raises(ValueError, match="source RL is from config cfg-test-0 .+ but source SFT only from config "
                                         "cfg-other"):
        ladder(source)
    assert ladder(source, mixed_configs=True).source[0].category == "movies"


def test_a_lambda_sweep_writes_one_table_per_lambda(make_entry, tmp_path):
    """`toolpast sweep --set lam_sweep=[...]` gives several PaST entries per category: one section per lambda."""
    from toolpast.tooluse.sweep import write_outputs

    board = _board(make_entry)
    halves = [_entry(make_entry, e.category, "past", set(range(10)), lam=0.5)
              for e in board.entries if e.variant.name == "past"]
    both = Leaderboard(entries=board.entries + halves)
    write_outputs(both, tmp_path / "sweep.json")
    text = (tmp_path / "sweep.md").read_text()
    half, one = text.split("## PaST with lambda = 1\n\n")
    assert half.startswith("## PaST with lambda = 0.5\n\n")
    assert one == EXPECTED  # the lambda-1 section is the single-lambda table of the same board
    assert render_files([tmp_path / "sweep.json"]) == text  # `toolpast leaderboard table` prints the same

def test_a_sparsified_vector_beside_the_dense_one_gets_its_own_table(make_entry, tmp_path, capsys):
    """RunConfig.vector_keep adds PaST entries made with a sparsified v: the dense vector's table comes first and
    is the table of the dense entries alone; `--keep` picks one; the page shows the dense one."""
    from toolpast.leaderboard.html import render_page
    from toolpast.tooluse.sweep import write_outputs

    board = _board(make_entry)
    sparse = [e.model_copy(update={"variant": e.variant.model_copy(update={"vector_keep": 0.3})})
              for e in (_entry(make_entry, x.category, "past", set(range(10))) for x in board.entries
                        if x.variant.name == "past")]
    both = Leaderboard(entries=board.entries + sparse)
    with pytest.raises(ValueError, match="different setups .*keep=0.3"):
        transfer_table(both)
    assert transfer_table(both, keep=1.0) == transfer_table(board)
    assert all(r.past.per_seed[0].successes == 10 for r in transfer_table(both, keep=0.3).rows)
    write_outputs(both, tmp_path / "sweep.json")
    text = (tmp_path / "sweep.md").read_text()
    dense, top = text.split("## PaST with the top 30% of each tensor of v\n\n")
    assert dense == "## PaST with the dense vector\n\n" + EXPECTED + "\n"
    assert main(["leaderboard", "table", str(tmp_path / "sweep.json"), "--keep", "0.3"]) == 0
    assert capsys.readouterr().out == top
    assert 'id="transfer-table"' in render_page(both)


def test_cli_table_writes_the_markdown(make_entry, tmp_path, capsys):
    board = _board(make_entry)
    path, out = tmp_path / "sweep.json", tmp_path / "table.md"
    path.write_text(board.model_dump_json())
    assert main(["leaderboard", "table", str(path), "--out", str(out)]) == 0
    assert out.read_text() == EXPECTED
    assert main(["leaderboard", "table", str(path)]) == 0
    assert capsys.readouterr().out.endswith(EXPECTED)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(Leaderboard(entries=board.entries + [_entry(make_entry, "finance", "sft", set(),
                                                                split="validation")]).model_dump_json())
    assert main(["leaderboard", "table", str(mixed)]) == 2
    assert "mixes splits" in capsys.readouterr().err
    assert main(["leaderboard", "table", str(mixed), "--split", "test", "--out", str(out)]) == 0
    assert out.read_text() == EXPECTED


def check_transfer_section(dom, board: Leaderboard) -> None:
    """The page's transfer rows and average against numbers computed here from the JSON entries."""
    assert sorted(dom.rows) == ["finance", "music", "weather"]
    for category, row in dom.rows.items():
        past, sft, base = (_by(board, category, v) for v in ("past", "sft", "base"))
        d = compare(past, sft)
        assert row["cells"]["diff"] == f"{100 * d.mean:+.1f} [{100 * d.ci95_low:+.1f}, {100 * d.ci95_high:+.1f}]"
        assert float(row["attrs"]["data-diff"]) == d.mean
        for name, e in (("base", base), ("sft", sft), ("past", past)):
            low, high = wilson_interval(e.metrics.successes, e.metrics.n)
            assert row["cells"][name] == (f"{100 * e.metrics.success_rate:.1f}% ({e.metrics.successes}/"
                                          f"{e.metrics.n}) [{100 * low:.1f}, {100 * high:.1f}]")
    diffs = [compare(_by(board, c, "past"), _by(board, c, "sft")).mean for c in ("finance", "music", "weather")]
    assert float(dom.average["attrs"]["data-diff"]) == pytest.approx(statistics.fmean(diffs))
    assert dom.average["cells"]["category"] == "average (3 categories)"
    low, high = float(dom.average["attrs"]["data-low"]), float(dom.average["attrs"]["data-high"])
    assert dom.average["cells"]["diff"] == f"{100 * statistics.fmean(diffs):+.1f} [{100 * low:+.1f}, {100 * high:+.1f}]"
    sft_mean = statistics.fmean(_by(board, c, "sft").metrics.success_rate for c in ("finance", "music", "weather"))
    assert dom.average["cells"]["sft"] == f"{100 * sft_mean:.1f}%"
    assert (dom.counts["data-nonnegative"], dom.counts["data-positive"], dom.counts["data-negative"]) == ("2", "1", "1")


def test_page_shows_the_transfer_table_above_the_entries(make_entry, transfer_dom):
    board = _board(make_entry)
    page = render_page(board)
    assert page.index('<section id="transfer"') < page.index('<table id="leaderboard"')
    assert '<ul id="ladder-source"><li data-category="movies"' in page and 'id="ladder-knowledge"' in page
    assert ('<tr data-model="past"><td>PaST</td><td>3</td><td>50.0%</td><td>50.0%</td><td>30.0%</td><td>25.0%</td>'
            '<td>1.50</td></tr>') in page
    dom = transfer_dom(page)
    check_transfer_section(dom, board)
    one = Leaderboard(entries=[e for e in board.entries if e.category == "finance"])
    assert 'id="transfer"' not in render_page(one)  # one target category: no transfer table


@pytest.mark.parametrize("name", ["native_sweep_cpu", "native_sweep_cpu_3ep"])
def test_committed_sweep_markdown_and_readme_table_equal_the_json(name):
    """leaderboards/<name>.{json,md} and the copy of the table in docs/results.md must not drift apart."""
    from pathlib import Path

    from toolpast.leaderboard.merge import read_board

    repo = Path(__file__).resolve().parents[3]
    board = read_board(repo / "leaderboards" / f"{name}.json")
    table = transfer_table(board, split="test")
    text = render_markdown(table, ladder(board, table, split="test"))
    assert (repo / "leaderboards" / f"{name}.md").read_text() == text
    in_readme = text.replace("### PaST transfer", "#### PaST transfer").replace("### Diagnostic", "#### Diagnostic")
    assert in_readme.rstrip() in (repo / "docs" / "results.md").read_text()
    assert len(table.rows) == 21


def test_ladder_shows_rung_zero_when_entries_recorded_it(make_entry):
    """Entries that recorded rung 0 get a Feasibility bullet (markdown and page) naming every short category; a
    board made before rung 0 renders exactly as before (EXPECTED has no such bullet)."""
    from toolpast.leaderboard.schema import Feasibility

    board = _board(make_entry)
    short = {"music": 7}
    entries = [e.model_copy(update={"feasibility": Feasibility(
        budget="4 turns x 64 new tokens", tasks=10, feasible=short.get(e.category, 10), needs_turns=5,
        needs_new_tokens=74, allow_infeasible=e.category in short)}) for e in board.entries]
    measured = Leaderboard(entries=entries)
    steps = ladder(measured)
    assert (steps.feasibility.tasks, steps.feasibility.feasible) == (40, 37)  # finance, movies, music, weather
    text = render_markdown(transfer_table(measured), steps)
    assert ("- **Feasibility** (rung 0: the oracle replayed under the evaluation budget, 4 turns x 64 new tokens): "
            "37 of 40 evaluated tasks solvable (92.5%) over 4 categories; short: music 7/10 (run with "
            "--allow-infeasible: these scores measure the budget, not the model).") in text
    assert 'id="ladder-feasibility" data-feasible="37" data-tasks="40"' in render_page(measured)
    assert ladder(board).feasibility is None and "Feasibility" not in render_markdown(transfer_table(board),
                                                                                       ladder(board))
