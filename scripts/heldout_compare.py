"""Two models of one category on every train-split task no training stage draws: success, behaviour and the
paired difference (candidate - baseline) with its bootstrap interval.

The sweep's rung (b) compares source SFT and source RL on 20 validation tasks, where one task is 5 points; a
category's untrained train tasks (`tooluse/data.untrained_tasks`: 136 of Movies' 200 under the cpu preset) give a
measurement four to five times tighter; tune on these. For a source category under `rl.select_every > 0`
`untrained_tasks` leaves out the `rl.select_tasks` RL's policy was chosen on too (116 of Movies' 136): the chosen
policy is the one that did best on them, so they would favour RL. `--split test` compares the same two models on the
category's test split instead (its first eval.tasks: `--set eval.tasks=60` for all of Movies'), for the reported
number once a recipe is chosen, never to choose one. Greedy, closed book, the run's evaluation limits.
docs/results.md, recipe log item 9 (rung b of item 8's RL, and the portability control):

    python scripts/heldout_compare.py --category movies --baseline SFT=<sft model dir> --candidate RL=<rl model dir>

Episodes go to --out/<name>/episodes.jsonl (a rerun resumes them); the summary is printed and written to
--out/summary.json. Several such runs (one per target category) averaged as the transfer table averages, the mean
over categories with a paired bootstrap resampling tasks within each category:

    python scripts/heldout_compare.py --average OUT1 OUT2 ...
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from toolpast.io import atomic_write_text
from toolpast.leaderboard.paired import bootstrap_difference
from toolpast.leaderboard.transfer import stratified_bootstrap
from toolpast.overrides import apply_overrides
from toolpast.stages.context import StageContext
from toolpast.tooluse.data import category_tasks, untrained_tasks
from toolpast.tooluse.evaluate import evaluate
from toolpast.tooluse.presets import get_preset
from toolpast.tooluse.select import selection_eval

SHOWN = ("successes", "n", "finished_rate", "valid_call_rate", "api_recall", "error_observation_rate", "mean_steps")


def _named(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not Path(path).is_dir():
        raise argparse.ArgumentTypeError(f"expected NAME=MODEL_DIR with an existing directory, got {text!r}")
    return name, Path(path)


def _per_task(out: Path) -> tuple[str, list[float]]:
    """A finished comparison's label and per-task differences (candidate - baseline), read back from its episodes."""
    summary = json.loads((out / "summary.json").read_text())
    base, cand = summary["models"]  # written baseline first
    wins = {}
    for name in (base, cand):
        rows = [json.loads(line) for line in (out / name / "episodes.jsonl").read_text().splitlines()]
        wins[name] = {row["task_id"]: float(row["grade"]["success"]) for row in rows}
    return f"{summary['category']} ({cand} - {base})", [wins[cand][t] - wins[base][t] for t in summary["tasks"]]


def average(outs: list[Path], seed: int = 0) -> str:
    """The mean over categories of each one's mean difference, with the category-stratified paired bootstrap."""
    per = [_per_task(out) for out in outs]
    means = [sum(d) / len(d) for _, d in per]
    low, high = stratified_bootstrap([d for _, d in per], seed=seed)
    lines = [f"{label}: {100 * m:+.1f} points ({len(d)} tasks)" for (label, d), m in zip(per, means)]
    mean = sum(means) / len(means)
    lines.append(f"average over {len(per)} categories: {100 * mean:+.1f} points [{100 * low:+.1f}, {100 * high:+.1f}] "
                 f"(paired bootstrap within categories, 10,000 resamples, seed {seed}); "
                 f"{sum(m >= 0 for m in means)} of {len(means)} >= 0")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--average", type=Path, nargs="+", metavar="OUT",
                        help="Instead of a comparison: average finished ones (their --out directories).")
    parser.add_argument("--category")
    parser.add_argument("--baseline", type=_named, metavar="NAME=DIR")
    parser.add_argument("--candidate", type=_named, metavar="NAME=DIR")
    parser.add_argument("--preset", default="cpu", help="The config whose training stages define 'untrained'.")
    parser.add_argument("--split", choices=["untrained", "test"], default="untrained",
                        help="untrained: the train tasks no training stage draws (for tuning); test: the first "
                             "eval.tasks of the test split (for the reported number only).")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="Config override.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the paired bootstrap (and the runs).")
    parser.add_argument("--out", type=Path, default=Path("/tmp/heldout_compare"))
    args = parser.parse_args(argv)
    if args.average:
        print(average(args.average, args.seed))
        return 0
    if not (args.category and args.baseline and args.candidate):
        parser.error("--category, --baseline and --candidate are required (or --average)")

    cfg = apply_overrides(get_preset(args.preset), args.set)
    if args.split == "test":
        tasks = category_tasks(cfg.model_copy(update={"eval": cfg.eval.model_copy(update={"split": "test"})}),
                               args.category)
    else:
        tasks = untrained_tasks(cfg, args.category)
    print(f"{len(tasks)} {args.split} {args.category} tasks ({tasks[0].id} .. {tasks[-1].id})")
    results = {}
    for name, model in (args.baseline, args.candidate):
        workdir = args.out / name
        workdir.mkdir(parents=True, exist_ok=True)
        found = evaluate(model, tasks, "closed", selection_eval(cfg.eval),
                         StageContext(args.seed, cfg.dtype, workdir, f"{name} on {args.category}"))
        results[name] = found
        print(f"{name}: " + ", ".join(f"{k} {found.get(k)}" for k in SHOWN))
    (base, base_dir), (cand, cand_dir) = args.baseline, args.candidate
    by_task = {name: {o["task_id"]: o["successes"] for o in results[name]["outcomes"]} for name in results}
    diffs = [by_task[cand][t] - by_task[base][t] for t in sorted(by_task[base])]
    d = bootstrap_difference(diffs, seed=args.seed)
    line = (f"{cand} - {base}: {100 * d.mean:+.1f} points [{100 * d.ci95_low:+.1f}, {100 * d.ci95_high:+.1f}] "
            f"(paired bootstrap, 10,000 resamples, seed {args.seed}, {d.n_tasks} tasks); {cand} alone solves "
            f"{sum(x > 0 for x in diffs)}, {base} alone {sum(x < 0 for x in diffs)}")
    print(line)
    summary = {"category": args.category, "split": args.split, "tasks": [t.id for t in tasks],
               "command": " ".join(sys.argv),
               "models": {base: str(base_dir), cand: str(cand_dir)},
               "metrics": {n: {k: r.get(k) for k in SHOWN} for n, r in results.items()},
               "difference": d.model_dump(), "summary": line}
    atomic_write_text(args.out / "summary.json", json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
