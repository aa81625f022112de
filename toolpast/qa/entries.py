"""QA results as leaderboard entries (suites `squad` and `loogle`) and as a terminal table.

An entry's metrics pool every graded answer (question x implication completion): success_rate = correct /
answers, with a Wilson interval. SEAL reports the mean over passages of each passage's accuracy; that number is
kept recoverable through `outcomes`, one per passage (task_id = the passage's index in SEAL's order or the
LooGLE document's), and the table prints both. Single-passage variants have no one set of weights (an adapter per
passage, discarded): their `model.weights_sha256` is the base they all started from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.table import Table

from toolpast.leaderboard.provenance import from_process
from toolpast.leaderboard.schema import Entry, Leaderboard, Metrics, ModelIdentity, TaskOutcome, Variant
from toolpast.leaderboard.stats import wilson_interval


@dataclass
class QAResult:
    """One variant's verdicts: passage id -> verdicts of its questions (x completions)."""

    name: str  # base | sft | past
    knowledge: str | None
    setting: str
    verdicts: dict[str, list[bool]]
    weights_sha256: str
    lam: float | None = None
    vector_id: str | None = None
    rounds: int | None = None
    source: list[str] = field(default_factory=list)


def passage_mean(outcomes: list[TaskOutcome]) -> float:
    """SEAL's number: the mean over passages of each passage's accuracy."""
    rates = [o.successes / o.samples for o in outcomes if o.samples]
    return sum(rates) / len(rates) if rates else 0.0


def to_entry(result: QAResult, cfg, suite: str, category: str, command: str, git_commit: str | None,
             grader_name: str) -> Entry:
    outcomes = [TaskOutcome(task_id=pid, successes=sum(v), samples=len(v))
                for pid, v in result.verdicts.items() if v]
    n, successes = sum(o.samples for o in outcomes), sum(o.successes for o in outcomes)
    low, high = wilson_interval(successes, n)
    metrics = Metrics(success_rate=successes / n if n else 0.0, n=n, successes=successes, ci95_low=low,
                      ci95_high=high)
    variant = Variant(name=result.name, lam=result.lam, vector_id=result.vector_id, rounds=result.rounds,
                      source_categories=result.source, knowledge=result.knowledge, setting=result.setting)
    provenance = from_process(cfg, command=command, preset=cfg.preset, seeds={"seed": cfg.seed}, backend="hf",
                              git_commit=git_commit)
    return Entry(model=ModelIdentity(name=cfg.model, weights_sha256=result.weights_sha256), variant=variant,
                 suite=suite, category=category, book="closed", metrics=metrics, provenance=provenance,
                 grader=grader_name, outcomes=outcomes)


def render_qa_table(board: Leaderboard, title: str) -> Table:
    table = Table(title=title)
    for column in ("variant", "knowledge", "setting", "passages", "answers", "acc/passage %", "acc/answer %",
                   "95% CI"):
        table.add_column(column, justify="left" if column in ("variant", "knowledge", "setting") else "right")
    means = {}
    for e in board.entries:
        m, v = e.metrics, e.variant
        mean = passage_mean(e.outcomes or [])
        means[(v.name, v.knowledge, v.setting)] = mean
        name = v.name + (f" (λ={v.lam:g}, K={v.rounds})" if v.name == "past" else "")
        table.add_row(name, v.knowledge or "-", v.setting or "-", str(len(e.outcomes or [])), str(m.n),
                      f"{100 * mean:.1f}", f"{100 * m.success_rate:.1f}",
                      f"[{100 * m.ci95_low:.1f}, {100 * m.ci95_high:.1f}]")
    gaps = [f"{k}: {100 * (mean - means[('sft', k, s)]):+.1f} pts" for (name, k, s), mean in means.items()
            if name == "past" and ("sft", k, s) in means]
    if gaps:
        table.caption = "PaST minus SFT, per-passage accuracy: " + "; ".join(gaps)
    return table
