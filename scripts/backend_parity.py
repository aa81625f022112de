"""The same evaluation on two rollout backends (hf and vllm by default): success of each, the exact McNemar test on
the paired per-task outcomes, and the share of identical transcripts. Greedy, closed book, the preset's evaluation
budget. kernels round differently (vLLM's vs transformers'), so identity is reported, not required; a difference
in success beyond noise (McNemar p <= 0.05) is a bug to find. docs/results.md, "vLLM on the CPU":

    python scripts/backend_parity.py --model ~/.cache/toolpast/experiments/rungb_3ep_6x96/sft/model \
        --category movies --tasks 60 --out ~/.cache/toolpast/experiments/parity_movies60

Episodes go to --out/<backend>/episodes.jsonl (a rerun resumes them); the summary is printed and written to
--out/summary.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import toolenv
from toolpast.io import atomic_write_text
from toolpast.leaderboard.stats import mcnemar_exact
from toolpast.overrides import apply_overrides
from toolpast.stages.context import StageContext
from toolpast.tooluse.evaluate import evaluate
from toolpast.tooluse.presets import get_preset


def _rows(out: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in (out / "episodes.jsonl").read_text().splitlines()]
    return {row["task_id"]: row for row in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path, help="Checkpoint directory (safetensors).")
    parser.add_argument("--category", default="movies")
    parser.add_argument("--tasks", type=int, default=60, help="The first N tasks of the category's test split.")
    parser.add_argument("--backends", default="hf,vllm")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="Config overrides.")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if len(backends) != 2:
        parser.error("--backends takes two backends, e.g. hf,vllm")
    cfg = apply_overrides(get_preset(args.preset), args.set)
    tasks = toolenv.get_category(args.category, seed=cfg.world_seed).tasks("test", n=args.tasks)
    summary = {"model": str(args.model), "category": args.category, "tasks": len(tasks),
               "budget": f"{cfg.eval.max_turns} turns x {cfg.eval.max_new_tokens} new tokens", "backends": {}}
    for backend in backends:
        eval_cfg = cfg.eval.model_copy(update={"backend": backend, "tasks": len(tasks), "knowledge_probes": False,
                                               "temperature": 0.0, "samples": 1})
        work = args.out / backend
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        found = evaluate(args.model, tasks, "closed", eval_cfg,
                         StageContext(cfg.seed, cfg.dtype, work, f"{backend} on {args.category}"))
        summary["backends"][backend] = {"successes": found["successes"], "n": found["n"],
                                        "wall_s": round(time.perf_counter() - started, 1)}
    first, second = (_rows(args.out / b) for b in backends)
    ids = [t.id for t in tasks]
    only_first = sum(first[i]["grade"]["success"] and not second[i]["grade"]["success"] for i in ids)
    only_second = sum(second[i]["grade"]["success"] and not first[i]["grade"]["success"] for i in ids)
    same = sum(first[i]["trajectory"] == second[i]["trajectory"] for i in ids)  # every action and observation
    summary.update(only_first=only_first, only_second=only_second, mcnemar_p=round(mcnemar_exact(only_first,
                                                                                                 only_second), 4),
                   identical_transcripts=same)
    atomic_write_text(args.out / "summary.json", json.dumps(summary, indent=2) + "\n")
    a, b = backends
    print(f"{args.category}, {len(ids)} test tasks, greedy, {summary['budget']}, model {args.model}")
    for backend in backends:
        row = summary["backends"][backend]
        print(f"  {backend:<6} {row['successes']}/{row['n']} solved ({row['wall_s']} s with the engine's start)")
    print(f"  solved by {a} only: {only_first}, by {b} only: {only_second}; exact McNemar p = {summary['mcnemar_p']}")
    print(f"identical_transcripts: {same}/{len(ids)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
