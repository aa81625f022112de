"""``python -m toolenv toolbench {stats,check,serve,judge}``: real ToolBench data from the command line.

``stats`` prints query and API counts per category; ``check`` runs the oracle and a
finish-at-once agent on every query and ends with ``oracle_success: X`` and
``finish_now_success: Y``; ``serve`` answers StableToolBench's ``POST /virtual``; ``judge``
scores the episodes of an evaluation (toolpast's ``episodes.jsonl``) with StableToolBench's
SoPR LLM judge, next to the judge-free solvable-path metric episodes are graded by.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from toolenv.episode import Episode
from toolenv.oracle import oracle_actions
from toolenv.records import EpisodeLimits, Task, Trajectory
from toolenv.toolbench.chat import EndpointError
from toolenv.toolbench.grading import SolvablePath, solvable_path
from toolenv.toolbench.judge import JudgeUnavailable, SoprJudge, sopr
from toolenv.toolbench.options import SuiteOptions
from toolenv.toolbench.server import VirtualApi, VirtualApiServer
from toolenv.toolbench.suite import toolbench_suite

__all__ = ["add_toolbench_parser"]

_FINISH_NOW = "Action: Finish\nAction Input: " + json.dumps(
    {"return_type": "give_answer", "final_answer": "I answered at once, without calling any API."})
_PARTS = ("all_relevant_called", "finished", "answer_grounded", "success")


def _options(args: argparse.Namespace) -> SuiteOptions:
    return SuiteOptions.build(data_dir=args.data, tools_dir=args.tools_dir, mode=args.mode, cache_dir=args.cache_dir,
                              endpoint=args.endpoint, model=args.model, on_miss=args.on_miss)


def _stats(args: argparse.Namespace) -> None:
    data = toolbench_suite(_options(args)).data
    print(f"{'category':<42} {'queries':>7} {'G1':>4} {'G2':>4} {'tools':>5} {'apis':>5}")
    total: Counter[str] = Counter()
    for slug in sorted(data.by_slug):
        c = data.categories[data.by_slug[slug]]
        row = Counter(queries=len(c.queries), G1=sum(q.group.startswith("G1") for q in c.queries),
                      G2=sum(q.group.startswith("G2") for q in c.queries), tools=len({a.tool for a in c.apis}),
                      apis=len(c.apis))
        total += row
        print(f"{c.name:<42} {row['queries']:>7} {row['G1']:>4} {row['G2']:>4} {row['tools']:>5} {row['apis']:>5}")
    label = f"total ({len(data.categories)} categories)"
    print(f"{label:<42} {total['queries']:>7} {total['G1']:>4} {total['G2']:>4} {total['tools']:>5} {total['apis']:>5}")


def _run(task: Task, actions: list[str]) -> SolvablePath:
    episode = Episode(task, limits=EpisodeLimits(max_steps=max(len(actions), 1)))
    episode.reset()
    for action in actions:
        episode.step(action)
    return solvable_path(task, episode.trajectory)


def _rates(paths: list[SolvablePath]) -> dict[str, float]:
    return {part: sum(bool(getattr(p, part)) for p in paths) / len(paths) if paths else 0.0 for part in _PARTS}


def _check(args: argparse.Namespace) -> None:
    suite = toolbench_suite(_options(args))
    tasks = suite.tasks(args.seed)
    oracle = [_run(t, oracle_actions(t)) for t in tasks]
    finish_now = [_run(t, [_FINISH_NOW]) for t in tasks]
    print(f"queries: {len(tasks)} in {len(suite.data.categories)} categories (mode {suite.options.mode}, "
          f"seed {args.seed})")
    failed = [(t, p) for t, p in zip(tasks, oracle, strict=True) if not p.success]
    for task, path in failed[:10]:
        missing = sorted(set(path.relevant_apis) - set(path.relevant_called))
        print(f"oracle failed: {task.id}: missing {missing or 'nothing'}, grounded {path.answer_grounded}")
    for name, paths in (("oracle", oracle), ("finish_now", finish_now)):
        print(f"{name} parts: " + ", ".join(f"{k} {v:.4f}" for k, v in _rates(paths).items()))
    print(f"oracle_success: {round(_rates(oracle)['success'], 4)}")
    print(f"finish_now_success: {round(_rates(finish_now)['success'], 4)}")


def _serve(args: argparse.Namespace) -> None:
    if not 0 <= args.port <= 65535:  # before the data is loaded
        raise ValueError(f"--port must be 0-65535 (0 picks a free port), got {args.port}")
    api = VirtualApi(toolbench_suite(_options(args)), args.seed)
    try:
        server = VirtualApiServer(api, args.host, args.port, verbose=args.verbose)
    except OSError as error:  # in use, not ours to bind, or no such address
        raise ValueError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    host, port = server.server_address[:2]
    print(f"serving StableToolBench's virtual API: POST http://{host}:{port}/virtual (mode {args.mode})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _judge(args: argparse.Namespace) -> None:
    tasks = {t.id: t for t in toolbench_suite(_options(args)).tasks(args.seed)}
    judge = SoprJudge(args.judge_endpoint, model=args.judge_model, cache_dir=args.judge_cache,
                      api_key_env=args.judge_key_env, runs=args.runs)
    results = []
    with open(args.episodes, encoding="utf-8") as handle:
        for line in filter(str.strip, handle):
            row = json.loads(line)
            if row["task_id"] not in tasks:
                raise ValueError(f"episode of task {row['task_id']!r} is not a query of {args.data or 'the data'}")
            try:
                results.append(judge.judge(tasks[row["task_id"]].query, Trajectory.model_validate(row["trajectory"])))
            except (JudgeUnavailable, EndpointError) as e:
                sys.exit(f"error: {e}")
    summary = sopr(results)
    print(f"episodes: {len(results)}")
    print("sopr_runs: " + ", ".join(f"{r:.4f}" for r in summary.run_rates))
    print(f"sopr: {summary.mean:.4f} +- {summary.std:.4f}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, help="query files: a folder, its test_instruction/, or one file "
                   "(default $TOOLENV_TOOLBENCH_DATA or ../shared/data/stabletoolbench)")
    p.add_argument("--tools-dir", default=None, help="ToolBench's toolenv/tools folder (<Category>/<tool>.json)")
    p.add_argument("--mode", choices=("mock", "replay", "llm"), default="mock")
    p.add_argument("--cache-dir", default=None, help="response cache (replay: StableToolBench's; llm: written)")
    p.add_argument("--on-miss", choices=("error", "mock"), default="error", help="replay: a call not in the cache")
    p.add_argument("--endpoint", default=None, help="llm: OpenAI-compatible base URL")
    p.add_argument("--model", default="gpt-4o-mini", help="llm: simulator model")
    p.add_argument("--seed", type=int, default=0)


def add_toolbench_parser(sub: Any) -> None:
    """Register ``toolbench`` and its subcommands on the main parser's subparsers."""
    tb = sub.add_parser("toolbench", help="real ToolBench/StableToolBench queries: stats, check, serve, judge")
    tsub = tb.add_subparsers(dest="toolbench_command", required=True)
    s = tsub.add_parser("stats", help="query and API counts per category")
    _common(s)
    s.set_defaults(run=_stats)
    s = tsub.add_parser("check", help="oracle and finish-at-once agents over every query")
    _common(s)
    s.set_defaults(run=_check)
    s = tsub.add_parser("serve", help="StableToolBench-compatible POST /virtual server")
    _common(s)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080)
    s.add_argument("--verbose", action="store_true", help="log every request")
    s.set_defaults(run=_serve)
    s = tsub.add_parser("judge", help="SoPR (StableToolBench's LLM judge) of evaluated episodes")
    _common(s)
    s.add_argument("episodes", help="episodes.jsonl of an evaluation (rows with task_id and trajectory)")
    s.add_argument("--judge-endpoint", default=None,
                   help="OpenAI-compatible base URL of the judge (default: cached verdicts only)")
    s.add_argument("--judge-model", default="gpt-4o-mini", help="judge model (part of the verdict cache key)")
    s.add_argument("--judge-key-env", default="OPENAI_API_KEY", help="environment variable holding the judge's key")
    s.add_argument("--judge-cache", default=None, help="verdict cache (default $TOOLENV_TOOLBENCH_CACHE/sopr)")
    s.add_argument("--runs", type=int, default=3, help="verdicts per episode (StableToolBench: 3)")
    s.set_defaults(run=_judge)
