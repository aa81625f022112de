"""One self-contained static HTML page of a leaderboard: opens from file:// with no server and no network.

Rows, bars and differences are rendered here in Python, so the page reads the same with JavaScript off; the
inline script only sorts the table. The leaderboard JSON is embedded too, so the page is also the data.
Every string from the JSON goes through html.escape; ids and data-* attributes are stable for tests.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

from toolpast.leaderboard import transfer as tr
from toolpast.leaderboard.figures import render_forest, render_ladder
from toolpast.leaderboard.paired import RESAMPLES, PairedDiff, past_vs_sft
from toolpast.leaderboard.schema import Entry, Leaderboard
from toolpast.leaderboard.table import ci_text, pass_ks, pct, points, variant_label

BAR_W, LABEL_W, ROW_H = 320, 190, 22


def slug(*parts: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def _num(x: float | int | None) -> str:
    return "" if x is None else repr(x)


def _cell(text: str, cls: str, sort_value: float | int | None = None, numeric: bool = True, title: str = "") -> str:
    attrs = f' class="{"num " if numeric else ""}c-{cls}"'
    if numeric:
        attrs += f' data-v="{_num(sort_value)}"'
    if title:
        attrs += f' title="{escape(title)}"'
    return f"<td{attrs}>{escape(text)}</td>"


def render_table(board: Leaderboard) -> str:
    at_ks, hat_ks = pass_ks(board, "pass_at_k"), pass_ks(board, "pass_hat_k")
    heads = [("suite", "suite", "text"), ("category", "category", "text"), ("variant", "variant", "text"),
             ("book", "book", "text"), ("success", "success %", "num"), ("ci", "95% CI", "num"), ("n", "n", "num")]
    heads += [(f"pass-at-{k}", f"pass@{k} %", "num") for k in at_ks]
    heads += [(f"pass-hat-{k}", f"pass^{k} %", "num") for k in hat_ks]
    heads += [("finished", "finished %", "num"), ("valid", "valid calls %", "num"), ("recall", "API recall %", "num"),
              ("model", "model", "text"), ("commit", "commit", "text")]
    th = "".join(f'<th data-key="{key}" data-type="{kind}" class="{"num" if kind == "num" else ""}" '
                 f'scope="col">{escape(label)}</th>' for key, label, kind in heads)
    rows = []
    for i, e in enumerate(board.entries):
        m, v = e.metrics, e.variant
        cells = [_cell(e.suite, "suite", numeric=False), _cell(e.category, "category", numeric=False),
                 _cell(variant_label(e), "variant", numeric=False), _cell(e.book, "book", numeric=False),
                 _cell(pct(m.success_rate), "success", m.success_rate), _cell(ci_text(m.ci95_low, m.ci95_high), "ci",
                                                                              m.ci95_low), _cell(str(m.n), "n", m.n)]
        for field, ks, cls in (("pass_at_k", at_ks, "pass-at"), ("pass_hat_k", hat_ks, "pass-hat")):
            values = getattr(m, field) or {}
            cells += [_cell(pct(values.get(k)), f"{cls}-{k}", values.get(k)) for k in ks]
        cells += [_cell(pct(m.finished_rate), "finished", m.finished_rate),
                  _cell(pct(m.valid_call_rate), "valid", m.valid_call_rate),
                  _cell(pct(m.api_recall), "recall", m.api_recall),
                  _cell(e.model.name, "model", numeric=False, title=e.model.weights_sha256),
                  _cell((e.provenance.git_commit or "-")[:10], "commit", numeric=False, title=e.provenance.command)]
        attrs = {"id": f"row-{i}", "class": f"variant-{v.name}", "data-suite": e.suite, "data-category": e.category,
                 "data-variant": v.name, "data-lam": _num(v.lam), "data-book": e.book,
                 "data-success": _num(m.success_rate), "data-ci-low": _num(m.ci95_low),
                 "data-ci-high": _num(m.ci95_high), "data-n": _num(m.n)}
        attr_text = " ".join(f'{k}="{escape(str(val))}"' for k, val in attrs.items())
        rows.append(f"<tr {attr_text}>{''.join(cells)}</tr>")
    return (f'<table id="leaderboard"><thead><tr>{th}</tr></thead>\n<tbody>\n' + "\n".join(rows)
            + "\n</tbody></table>")


def render_bars(entries: list[Entry], suite: str, category: str) -> str:
    """Horizontal bars of success rate with Wilson CI whiskers, one per entry, as inline SVG."""
    height = ROW_H * len(entries) + 24
    width = LABEL_W + BAR_W + 60
    parts = [f'<line class="grid" x1="{LABEL_W + BAR_W * t / 4:.1f}" y1="0" x2="{LABEL_W + BAR_W * t / 4:.1f}" '
             f'y2="{height - 18}"/><text x="{LABEL_W + BAR_W * t / 4:.1f}" y="{height - 5}" '
             f'text-anchor="middle">{25 * t}%</text>' for t in range(5)]
    for i, e in enumerate(entries):
        m, y = e.metrics, i * ROW_H + 3
        x0, x1 = LABEL_W + BAR_W * m.ci95_low, LABEL_W + BAR_W * m.ci95_high
        mid = y + (ROW_H - 6) / 2
        label = variant_label(e) + (" [open book]" if e.book == "open" else "")
        parts.append(
            f'<g data-variant="{escape(e.variant.name)}" data-success="{_num(m.success_rate)}">'
            f'<title>{escape(label)}: {pct(m.success_rate)}% {ci_text(m.ci95_low, m.ci95_high)}, n={m.n}</title>'
            f'<text x="{LABEL_W - 6}" y="{mid + 4:.1f}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar {escape(e.variant.name)}" x="{LABEL_W}" y="{y}" width="{BAR_W * m.success_rate:.1f}" '
            f'height="{ROW_H - 6}"/>'
            f'<line class="whisker" x1="{x0:.1f}" y1="{mid:.1f}" x2="{x1:.1f}" y2="{mid:.1f}"/>'
            f'<line class="whisker" x1="{x0:.1f}" y1="{mid - 4:.1f}" x2="{x0:.1f}" y2="{mid + 4:.1f}"/>'
            f'<line class="whisker" x1="{x1:.1f}" y1="{mid - 4:.1f}" x2="{x1:.1f}" y2="{mid + 4:.1f}"/>'
            f'<text x="{LABEL_W + BAR_W + 6}" y="{mid + 4:.1f}">{pct(m.success_rate)}%</text></g>')
    caption = f"{escape(suite)} / {escape(category)}"
    return (f'<figure id="bars-{slug(suite, category)}"><figcaption>{caption}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="success rate per variant, {caption}">{"".join(parts)}</svg></figure>')


def _forest(d: PairedDiff) -> str:
    """A tiny interval plot on [-100, +100] points with the zero line."""
    w = 160

    def x(v: float) -> float:
        return (v + 1) / 2 * w

    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="14" aria-hidden="true">'
            f'<line class="zero" x1="{w / 2}" y1="0" x2="{w / 2}" y2="14"/>'
            f'<line class="whisker" x1="{x(d.ci95_low):.1f}" y1="7" x2="{x(d.ci95_high):.1f}" y2="7"/>'
            f'<circle cx="{x(d.mean):.1f}" cy="7" r="3"/></svg>')


def render_diffs(board: Leaderboard) -> str:
    pairs = past_vs_sft(board)
    if not pairs:
        return '<p id="past-minus-sft" class="muted">No category has both a PaST and a target-SFT entry.</p>'
    rows = []
    for past, sft, d in pairs:
        sign = "neg" if d.mean < 0 else "pos" if d.mean > 0 else ""
        rows.append(
            f'<tr data-suite="{escape(past.suite)}" data-category="{escape(past.category)}" '
            f'data-lam="{_num(past.variant.lam)}" data-diff="{_num(d.mean)}" data-low="{_num(d.ci95_low)}" '
            f'data-high="{_num(d.ci95_high)}" data-method="{escape(d.method)}" data-tasks="{d.n_tasks}">'
            f'<td>{escape(past.suite)}</td><td>{escape(past.category)}</td><td>{escape(variant_label(past))}</td>'
            f'<td class="num">{pct(past.metrics.success_rate)}</td><td class="num">{pct(sft.metrics.success_rate)}</td>'
            f'<td class="num c-diff {sign}">{points(d.mean)}</td>'
            f'<td class="num c-diff-ci">[{points(d.ci95_low)}, {points(d.ci95_high)}]</td><td>{_forest(d)}</td>'
            f'<td class="num">{d.n_tasks}</td><td class="c-method">{escape(d.method)}</td></tr>')
    head = "".join(f"<th>{h}</th>" for h in ("suite", "category", "PaST", "PaST %", "SFT %", "difference (pts)",
                                              "95% CI (pts)", "-100 … 0 … +100", "tasks", "interval"))
    return f'<table id="past-minus-sft"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _transfer_rows(table: tr.TransferTable) -> str:
    rows = []
    for r in table.rows:
        d = r.past_minus_sft
        sign = " neg" if d.mean < 0 else " pos" if d.mean > 0 else ""
        rows.append(f'<tr class="transfer-row" data-category="{escape(r.category)}" data-diff="{_num(d.mean)}" '
                    f'data-low="{_num(r.ci95_low)}" data-high="{_num(r.ci95_high)}" data-seeds="{len(r.seeds)}">'
                    f'<td class="t-category">{escape(tr.category_label(r, table))}</td>'
                    + "".join(f'<td class="num t-{n}">{escape(tr.variant_cell(getattr(r, n)))}</td>'
                              for n in tr.TARGET_VARIANTS)
                    + f'<td class="num t-diff{sign}">{escape(tr.diff_cell(r))}</td></tr>')
    a = table.average
    rows.append(f'<tr id="transfer-average" data-categories="{a.categories}" data-diff="{_num(a.past_minus_sft.mean)}" '
                f'data-low="{_num(a.ci95_low)}" data-high="{_num(a.ci95_high)}">'
                f'<th scope="row" class="t-category">{escape(tr.average_label(a))}</th>'
                + "".join(f'<td class="num t-{n}">{escape(tr.average_rate_cell(getattr(a, n)))}</td>'
                          for n in tr.TARGET_VARIANTS)
                + f'<td class="num t-diff">{escape(tr.average_diff_cell(a))}</td></tr>')
    return "".join(rows)


def transfer_of(board: Leaderboard) -> tuple[tr.TransferTable, tr.Ladder] | str | None:
    """The board's transfer table and ladder (>= 2 target categories), why there is none (a str), or None."""
    if len(tr.target_categories(board)) < 2:
        return None
    try:
        # beside sparsified vectors, the page shows the dense vector's table (`leaderboard table` prints each)
        keep = 1.0 if any(e.variant.vector_keep for e in board.entries) else None
        table = tr.transfer_table(board, split="test" if any(e.split == "test" for e in board.entries) else None,
                                  keep=keep)
        steps = tr.ladder(board, table, keep=keep)
    except ValueError as err:
        return str(err)
    return (table, steps) if len(table.rows) >= 2 else None


def transfer_title(table: tr.TransferTable, board: Leaderboard) -> str:
    """What the table is: the method, the model, how many RL-unseen targets, the split and the seeds."""
    models = sorted({e.model.name for e in board.entries if e.variant.name == "past"})
    seeds = len(table.seeds)
    return (f"PaST transfer to {len(table.rows)} RL-unseen {table.suite or ''} targets".replace("  ", " ")
            + f" ({', '.join(models)}; {table.split} split; {seeds} seed{'s' if seeds != 1 else ''})")


def render_transfer(board: Leaderboard, found: tuple[tr.TransferTable, tr.Ladder] | str | None = None) -> str:
    """The paper's transfer table with its forest plot and the diagnostic ladder with its picture, when the board
    has >= 2 target categories (`found`: transfer_of(board), when already computed)."""
    found = transfer_of(board) if found is None else found
    if found is None:
        return ""
    if isinstance(found, str):
        return f'<p id="transfer" class="muted">No transfer table for this board: {escape(found)}</p>'
    table, steps = found
    a = table.average
    where = ", ".join(x for x in (table.suite, f"{table.split} split", "closed book") if x)
    counts = (f'<p id="transfer-counts" data-nonnegative="{a.nonnegative}" data-positive="{a.positive}" '
              f'data-negative="{a.negative}">{escape(tr.counts_text(a))}</p>')
    head = '<th scope="col">category</th>' + "".join(f'<th scope="col" class="num">{h}</th>' for h in (
        "base", "target SFT", "PaST", "PaST - SFT (pts) [95% CI]"))
    parts = [f'<section id="transfer" data-split="{escape(table.split)}" data-seeds="{len(table.seeds)}">',
             f"<h2>Transfer: PaST vs target SFT ({escape(where)})</h2>",
             f'<table id="transfer-table"><thead><tr>{head}</tr></thead><tbody>{_transfer_rows(table)}</tbody></table>',
             counts, "<p>PaST - target SFT per category, percentage points: squares are means, lines 95% intervals, "
             "dots single seeds, the diamond the average and its interval.</p>", render_forest(table),
             f'<p class="note">{escape(tr.method_note(table))}</p>', '<div id="ladder"><h3>Diagnostic ladder</h3>',
             render_ladder(steps)]
    if steps.feasibility is not None:
        f = steps.feasibility
        parts.append(f'<p id="ladder-feasibility" data-feasible="{f.feasible}" data-tasks="{f.tasks}">'
                     f'{escape(tr.rung_zero_text(f).removeprefix("- ").replace("**", ""))}</p>')
    if steps.knowledge_average is not None:
        ka = steps.knowledge_average
        kh = "".join(f"<th>{h}</th>" for h in ("knowledge accuracy", "base", "target SFT", "PaST"))
        krows = "".join(f'<tr data-category="{escape(k.category)}"><td>{escape(k.category)}</td>'
                        + "".join(f'<td class="num k-{n}">{escape(tr.knowledge_cell(k.variants.get(n)))}</td>'
                                  for n in tr.TARGET_VARIANTS) + "</tr>" for k in steps.knowledge)
        kavg = "".join(f'<td class="num k-{n}">{escape(text)}</td>'
                       for n, text in zip(tr.TARGET_VARIANTS, tr.knowledge_average_cells(ka)))
        parts.append(f'<table id="ladder-knowledge"><thead><tr>{kh}</tr></thead><tbody>{krows}'
                     f'<tr id="ladder-knowledge-average"><th scope="row">average ({ka.categories})</th>{kavg}</tr>'
                     "</tbody></table>")
    seeds = len({c.seed for c in steps.source}) > 1
    items = "".join(f'<li data-category="{escape(c.category)}" data-diff="{_num(c.rl_minus_sft.mean)}">'
                    f"{escape(tr.source_text(c, seeds))}</li>" for c in steps.source)
    parts.append(f'<p>Source RL vs source SFT on the source\'s own {escape(table.split)} tasks:</p>'
                 f'<ul id="ladder-source">{items}</ul>'
                 if items else '<p id="ladder-source" class="muted">Source RL vs source SFT: not evaluated.</p>')
    if steps.behaviour:
        bh = "".join(f"<th>{escape(h)}</th>" for h in tr.BEHAVIOUR_HEADS)
        brows = "".join(f'<tr data-model="{escape(b.model)}">' + "".join(
            f"<td>{escape(c)}</td>" for c in tr.behaviour_cells(b)) + "</tr>" for b in steps.behaviour)
        parts.append("<p>Behaviour (episode means over categories and seeds; what changes when success does "
                     f'not):</p><table id="ladder-behaviour"><thead><tr>{bh}</tr></thead><tbody>{brows}</tbody>'
                     "</table>")
    parts.append(f'<p id="ladder-transfer">Transfer: PaST - SFT averaged over {a.categories} categories: '
                 f"{escape(tr.average_diff_cell(a))} points.</p></div></section>")
    return "\n".join(parts)


def render_commands(board: Leaderboard) -> str:
    groups: dict[tuple, list[Entry]] = defaultdict(list)
    for e in board.entries:
        groups[(e.provenance.command, e.provenance.preset, e.provenance.git_commit or "-")].append(e)
    items = [f'<li data-entries="{len(es)}"><pre><code>{escape(cmd)}</code></pre>'
             f'<span class="muted">{len(es)} entries; preset {escape(preset)}; commit {escape(commit)}; '
             f'{escape(min(e.provenance.date for e in es))} … {escape(max(e.provenance.date for e in es))}</span></li>'
             for (cmd, preset, commit), es in sorted(groups.items())]
    return f'<ul id="commands">{"".join(items)}</ul>'


def page_title(board: Leaderboard, found: tuple[tr.TransferTable, tr.Ladder] | str | None = None) -> str:
    """What the page shows: the transfer table when it has one, else the groups of entries it lists."""
    if isinstance(found, tuple):
        return transfer_title(found[0], board)
    groups = list(dict.fromkeys(f"{e.suite}/{e.category}" for e in board.entries))
    shown = ", ".join(groups[:8]) + (f" and {len(groups) - 8} more" if len(groups) > 8 else "")
    return f"toolpast leaderboard: {shown or 'no entries'}"


def render_page(board: Leaderboard) -> str:
    from toolpast import __version__

    by_group: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for e in board.entries:
        by_group[(e.suite, e.category)].append(e)
    data = json.dumps(board.model_dump(mode="json"), sort_keys=True).replace("<", "\\u003c")
    template = Template(files("toolpast").joinpath("templates/leaderboard.html").read_text(encoding="utf-8"))
    models = sorted({e.model.name for e in board.entries})
    found = transfer_of(board)
    page = template.substitute(
        version=escape(__version__), title=escape(page_title(board, found)), n_entries=len(board.entries),
        summary=escape(f"{len(board.entries)} entries over {len(by_group)} suite/category groups; models: "
                       f"{', '.join(models) or '-'}."),
        table=render_table(board), bars="\n".join(render_bars(es, s, c) for (s, c), es in by_group.items()),
        diffs=render_diffs(board), commands=render_commands(board), data=data, resamples=f"{RESAMPLES:,}")
    # Above the entries table, as the paper shows it (inserted here so the template stays as it is).
    return page.replace("<h2>Entries</h2>", render_transfer(board, found) + "\n<h2>Entries</h2>", 1)


def write_page(board: Leaderboard, out: Path) -> Path:
    from toolpast.io import atomic_write_text

    atomic_write_text(Path(out), render_page(board))
    return Path(out)
