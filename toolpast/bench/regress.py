"""`toolpast bench regress`: a CI gate on the evaluation harness itself.

It runs a fixed small task set with the default model, greedily, closed- and open-book, and compares the
metrics with a committed baseline (`leaderboards/ci-baseline.json`, leaderboard schema). A metric that moves the
wrong way by more than the tolerance fails the gate (exit 1) with a diff table, and so does a mean token count or
turn count that drifts by more than 15% either way; a digest of the greedy transcripts is shown for information
(it changes whenever prompts, parsing or decoding change, which is worth a look but may be intended).
`--update` rewrites the baseline after an intended change: commit it with the change that caused it.

The untrained default model solves nothing, so success is 0 in the baseline; what the gate watches is the
harness: prompt rendering, action parsing, tool execution, grading and decoding, through the rates they produce
and through how much the model says before the episode ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

import toolenv
from toolpast import __version__
from toolpast.artifacts import canonical_json, git_commit, package_versions
from toolpast.io import atomic_write_text
from toolpast.leaderboard.schema import Entry, Leaderboard, ModelIdentity, Provenance, Variant

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

    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.model_dump()).encode()).hexdigest()[:16]


def _transcript_digest(episodes_jsonl: Path) -> str:
    actions = [[step["action"] for step in json.loads(line)["trajectory"]["steps"]]
               for line in episodes_jsonl.read_text().splitlines()]
    return hashlib.sha256(json.dumps(actions).encode()).hexdigest()[:16]


def measure(cfg: RegressConfig, command: str) -> tuple[Leaderboard, dict[str, str]]:
    """Evaluate the task set; returns the board and each entry's transcript digest."""
    from toolpast.config import EvalConfig
    from toolpast.evaluate import evaluate, metrics_and_outcomes
    from toolpast.models import resolve_model
    from toolpast.models.identity import weights_sha256

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
                out = evaluate(model_dir, tasks, book, eval_cfg, 0, "float32", Path(work), f"regress {category} {book}")
                digests[f"{category}/{book}"] = _transcript_digest(Path(work) / "episodes.jsonl")
            provenance = Provenance(
                toolpast_version=__version__, git_commit=commit, command=command, preset="regress",
                config_hash=cfg.digest(), seeds={"seed": 0, "world_seed": cfg.world_seed}, backend="hf",
                date=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), packages=packages)
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


def run_regress(baseline_path: Path, update: bool = False, tolerance: float = 0.15,
                cfg: RegressConfig | None = None, console: Console | None = None) -> int:
    cfg = cfg or RegressConfig()
    out = console or Console(width=140)
    if update:
        board, digests = measure(cfg, f"toolpast bench regress --baseline {baseline_path} --update")
        atomic_write_text(baseline_path, board.model_dump_json(indent=2) + "\n")
        atomic_write_text(baseline_path.with_suffix(".digests.json"), json.dumps(
            {"config": cfg.model_dump(), "transcripts": digests}, indent=2) + "\n")
        print(f"baseline written: {baseline_path} ({len(board.entries)} entries)")
        return 0
    if not baseline_path.exists():
        print(f"toolpast: error: no baseline at {baseline_path}; create one with --update", file=sys.stderr)
        return 2
    baseline = Leaderboard.model_validate_json(baseline_path.read_text())
    made_with = {e.provenance.config_hash for e in baseline.entries}
    if made_with != {cfg.digest()}:
        print(f"toolpast: error: the baseline was made with task-set settings {sorted(made_with)}, these are "
              f"{cfg.digest()}: rerun with --update after an intended change", file=sys.stderr)
        return 2
    current, digests = measure(cfg, f"toolpast bench regress --baseline {baseline_path}")
    table, regressions = compare(baseline, current, tolerance)
    out.print(table)
    digest_file = baseline_path.with_suffix(".digests.json")
    if digest_file.exists():
        known = json.loads(digest_file.read_text()).get("transcripts", {})
        changed = sorted(k for k, v in digests.items() if known.get(k) != v)
        print("greedy transcripts: " + (f"changed in {', '.join(changed)} (information)" if changed
                                        else "identical to the baseline's"))
    for line in regressions:
        print(f"REGRESSION {line}")
    print(f"regressions: {len(regressions)}")
    return 1 if regressions else 0
