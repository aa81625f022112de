"""`toolpast bench regress`: a CI gate on the evaluation harness itself.

Two halves, both compared with a committed baseline (`leaderboards/ci-baseline.json`, leaderboard schema, and its
sidecar `ci-baseline.digests.json`):

- Scripted generators (toolpast.bench.scripted): the oracle and perturbed oracles, driven through the same
  token-level episode loop as the hf/vLLM backends (chat template -> generated ids -> decoded text -> parser ->
  simulator -> grader -> evaluation's summary). Their outcomes are known (the oracle solves everything, each
  perturbation fails in its own way), so their exact numbers and digests are recorded per (generator, category,
  book) and must match exactly: a change in either direction fails the gate. This is where the headroom is: a
  grader that starts passing a perturbed oracle or a parser that loses arguments moves these rows.
- The default model, untrained, greedy, closed- and open-book on a fixed small task set. A rate that moves the
  wrong way by more than the tolerance fails the gate, and so does a mean token count or turn count that
  drifts by more than 15% either way; a digest of the greedy transcripts is shown for information (it changes
  whenever prompts, parsing or decoding change, which is worth a look but may be intended). This model solves
  nothing, so its rates sit at their floor and mostly watch decoding and how much the model says.

Any failure exits 1 with a diff table. `--update` rewrites the baseline after an intended change: commit it with
the change that caused it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

import toolenv
from toolpast.artifacts import git_commit, package_versions
from toolpast.bench.scripted import COUNTS, DIGESTS, RATES, SCRIPTS, ScriptedConfig, measure_scripted
from toolpast.bench.scripted import HIGHER_IS_BETTER as SCRIPTED_HIGHER_IS_BETTER
from toolpast.io import atomic_write_text
from toolpast.leaderboard.provenance import config_hash, from_process
from toolpast.leaderboard.schema import Entry, Leaderboard, ModelIdentity, Variant

HIGHER_IS_BETTER = ("success_rate", "finished_rate", "valid_call_rate", "api_recall")
LOWER_IS_BETTER = ("error_observation_rate",)
# The untrained model's rates sit at their floor (nothing solved, every call an error), so they cannot fall any
# further; how much it says and for how many turns can move either way when prompts, parsing or decoding change.
DRIFT = ("mean_model_tokens", "mean_steps")
RELATIVE_DRIFT = 0.15


class RegressConfig(BaseModel):
    """The fixed task set of the gate. Changing any field needs a new baseline (`--update`)."""

    model_config = ConfigDict(extra="forbid")
    model: str = Field("smollm2-135m-instruct", description="Model spec evaluated (the embedded default).")
    categories: list[str] = Field(default_factory=lambda: ["finance"],
                                  description="Native categories whose first test tasks are run.")
    tasks: int = Field(8, ge=1, description="Test tasks per category.")
    books: list[str] = Field(default_factory=lambda: ["closed", "open"], description="Prompt settings run.")
    max_turns: int = Field(2, ge=1, description="Model turns per episode.")
    max_new_tokens: int = Field(40, ge=8, description="New tokens per turn (greedy).")
    world_seed: int = Field(0, description="Seed of the native worlds.")
    scripted: ScriptedConfig = Field(default_factory=ScriptedConfig,
                                     description="The scripted generators' task set (run with the model's tokenizer).")


def _transcript_digest(episodes_jsonl: Path) -> str:
    actions = [[step["action"] for step in json.loads(line)["trajectory"]["steps"]]
               for line in episodes_jsonl.read_text().splitlines()]
    return hashlib.sha256(json.dumps(actions).encode()).hexdigest()[:16]


def measure(cfg: RegressConfig, command: str) -> tuple[Leaderboard, dict[str, str]]:
    """Evaluate the task set; returns the board and each entry's transcript digest."""
    from toolpast.models import resolve_model
    from toolpast.models.identity import weights_sha256
    from toolpast.stages.context import StageContext
    from toolpast.tooluse.config import EvalConfig
    from toolpast.tooluse.evaluate import evaluate, metrics_and_outcomes

    model_dir = resolve_model(cfg.model)
    eval_cfg = EvalConfig(tasks=cfg.tasks, batch_size=cfg.tasks * 2, max_turns=cfg.max_turns,
                          max_new_tokens=cfg.max_new_tokens)
    identity = ModelIdentity(name=cfg.model, weights_sha256=weights_sha256(model_dir))
    commit, packages = git_commit(), package_versions()  # once per run, not per entry
    entries, digests = [], {}
    for category in cfg.categories:
        tasks = toolenv.get_category(category, seed=cfg.world_seed).tasks("test", n=cfg.tasks)
        for book in cfg.books:
            with tempfile.TemporaryDirectory() as work:
                out = evaluate(model_dir, tasks, book, eval_cfg,
                               StageContext(0, "float32", Path(work), f"regress {category} {book}"))
                digests[f"{category}/{book}"] = _transcript_digest(Path(work) / "episodes.jsonl")
            provenance = from_process(cfg, command=command, preset="regress",
                                      seeds={"seed": 0, "world_seed": cfg.world_seed}, backend="hf",
                                      git_commit=commit, packages=packages)
            metrics, outcomes = metrics_and_outcomes(out)
            entries.append(Entry(model=identity, variant=Variant(name="base" if book == "closed" else "open_book"),
                                 suite="native", category=category, book=book, provenance=provenance,
                                 metrics=metrics, outcomes=outcomes))
    return Leaderboard(entries=entries), digests


def compare(baseline: Leaderboard, current: Leaderboard, tolerance: float) -> tuple[Table, list[str]]:
    """A diff table and the list of regressions (empty = pass)."""
    old = {(e.category, e.book): e for e in baseline.entries}
    table = Table(title=f"bench regress vs baseline (tolerance {tolerance:g})")
    for column in ("category", "book", "metric", "baseline", "now", "change", "verdict"):
        table.add_column(column, justify="right" if column in ("baseline", "now", "change") else "left")
    regressions = []
    for entry in current.entries:
        key = (entry.category, entry.book)
        if key not in old:
            regressions.append(f"{key}: not in the baseline (run with --update)")
            continue
        for metric in HIGHER_IS_BETTER + LOWER_IS_BETTER + DRIFT:
            before, now = getattr(old[key].metrics, metric), getattr(entry.metrics, metric)
            if before is None or now is None:
                verdict, change = "n/a", "-"
            else:
                change = f"{now - before:+.4g}"
                worse = (before - now) if metric in HIGHER_IS_BETTER else (now - before)
                if metric in DRIFT:
                    drift = abs(now - before) / max(abs(before), 1e-9)
                    verdict = "same" if now == before else f"drift {100 * drift:.0f}%"
                    if drift > RELATIVE_DRIFT:
                        verdict = f"[red]DRIFT {100 * drift:.0f}%[/]"
                        regressions.append(f"{entry.category}/{entry.book} {metric}: {before:.4g} -> {now:.4g} "
                                           f"(more than {100 * RELATIVE_DRIFT:.0f}% either way)")
                elif worse > tolerance + 1e-12:
                    verdict = "[red]REGRESSION[/]"
                    regressions.append(f"{entry.category}/{entry.book} {metric}: {before:.4g} -> {now:.4g}")
                else:
                    verdict = "same" if now == before else ("better" if worse < 0 else "within tolerance")
            table.add_row(entry.category, entry.book, metric, "-" if before is None else f"{before:.4g}",
                          "-" if now is None else f"{now:.4g}", change, verdict)
        table.add_section()
    return table, regressions


def measure_scripted_rows(cfg: RegressConfig) -> dict[str, dict]:
    """The scripted rows, rendered with the gate model's own tokenizer and chat template."""
    from toolpast.models import load_tokenizer, resolve_model

    return measure_scripted(cfg.scripted, load_tokenizer(resolve_model(cfg.model)))


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def compare_scripted(baseline: dict[str, dict], current: dict[str, dict]) -> tuple[Table, Table, list[str]]:
    """An overview per generator, a diff table of every field that changed, and the regressions (empty = pass).

    Scripted outcomes are exact, so any change fails, better or worse: a perturbed oracle that starts to succeed
    means the grader or parser got laxer, which is as wrong as the oracle failing.
    """
    regressions, changed_rows = [], set()
    diff = Table(title="scripted generators: changes vs baseline (exact match required)")
    for column in ("generator/category/book", "field", "baseline", "now", "direction"):
        diff.add_column(column, justify="right" if column in ("baseline", "now") else "left")
    for key in list(current) + [k for k in baseline if k not in current]:
        if key not in baseline or key not in current:
            where = "the baseline (run with --update)" if key not in baseline else "this run"
            regressions.append(f"scripted {key}: not in {where}")
            diff.add_row(key, "(row)", "-" if key not in baseline else "present",
                         "-" if key not in current else "present", "[red]MISSING[/]")
            changed_rows.add(key)
            continue
        for field in RATES + COUNTS + DIGESTS:
            before, now = baseline[key].get(field), current[key].get(field)
            if before == now:
                continue
            if field in RATES and before is not None and now is not None:
                better = now > before if field in SCRIPTED_HIGHER_IS_BETTER else now < before
                direction = "[red]CHANGED (better: grader/parser laxer?)[/]" if better else "[red]CHANGED (worse)[/]"
            else:
                direction = "[red]CHANGED[/]"
            diff.add_row(key, field, _fmt(before), _fmt(now), direction)
            regressions.append(f"scripted {key} {field}: {_fmt(before)} -> {_fmt(now)}")
            changed_rows.add(key)
    overview = Table(title="scripted generators (totals, and means of the rates, over categories and books)")
    for column in ("generator", "rows", "successes", "error obs / steps", "finished", "valid calls", "api recall",
                   "verdict"):
        overview.add_column(column, justify="left" if column in ("generator", "verdict") else "right")
    for name in SCRIPTS:
        rows = [v for k, v in current.items() if k.split("/", 1)[0] == name]
        if not rows:
            continue
        total = {field: sum(r[field] for r in rows) for field in ("n", "successes", "error_observations", "steps",
                                                                  "finished_rate", "valid_call_rate", "api_recall")}
        changed = sum(k in changed_rows for k in current if k.split("/", 1)[0] == name)
        overview.add_row(name, str(len(rows)), f"{total['successes']}/{total['n']}",
                         f"{total['error_observations']}/{total['steps']}",
                         *(f"{total[f] / len(rows):.3g}" for f in ("finished_rate", "valid_call_rate", "api_recall")),
                         f"[red]CHANGED in {changed}[/]" if changed else "same")
    return overview, diff, regressions


def run_regress(baseline_path: Path, update: bool = False, tolerance: float = 0.15,
                cfg: RegressConfig | None = None, console: Console | None = None) -> int:
    cfg = cfg or RegressConfig()
    out = console or Console(width=140)
    sidecar = baseline_path.with_suffix(".digests.json")
    if update:
        scripted = measure_scripted_rows(cfg)
        board, digests = measure(cfg, f"toolpast bench regress --baseline {baseline_path} --update")
        atomic_write_text(baseline_path, board.model_dump_json(indent=2) + "\n")
        atomic_write_text(sidecar, json.dumps(
            {"config": cfg.model_dump(), "transcripts": digests, "scripted": scripted}, indent=2) + "\n")
        print(f"baseline written: {baseline_path} ({len(board.entries)} entries), {sidecar} "
              f"({len(scripted)} scripted rows)")
        return 0
    if not baseline_path.exists():
        print(f"toolpast: error: no baseline at {baseline_path}; create one with --update", file=sys.stderr)
        return 2
    baseline = Leaderboard.model_validate_json(baseline_path.read_text())
    made_with = {e.provenance.config_hash for e in baseline.entries}
    if made_with != {config_hash(cfg)}:
        print(f"toolpast: error: the baseline was made with task-set settings {sorted(made_with)}, these are "
              f"{config_hash(cfg)}: rerun with --update after an intended change", file=sys.stderr)
        return 2
    known = json.loads(sidecar.read_text()) if sidecar.exists() else {}
    if "scripted" not in known:
        print(f"toolpast: error: {sidecar} has no scripted rows (a baseline from before the scripted generators): "
              f"rerun with --update", file=sys.stderr)
        return 2
    overview, diff, regressions = compare_scripted(known["scripted"], measure_scripted_rows(cfg))
    current, digests = measure(cfg, f"toolpast bench regress --baseline {baseline_path}")
    table, model_regressions = compare(baseline, current, tolerance)
    out.print(table)
    changed = sorted(k for k, v in digests.items() if known.get("transcripts", {}).get(k) != v)
    print("greedy transcripts: " + (f"changed in {', '.join(changed)} (information)" if changed
                                    else "identical to the baseline's"))
    out.print(overview)
    if regressions:
        out.print(diff)
    else:
        print(f"scripted generators: all {len(known['scripted'])} rows identical to the baseline's")
    for line in model_regressions + regressions:
        print(f"REGRESSION {line}")
    print(f"regressions: {len(model_regressions) + len(regressions)}")
    return 1 if model_regressions or regressions else 0
