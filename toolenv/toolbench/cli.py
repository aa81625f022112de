"""``python -m toolenv toolbench {stats,check,serve}``: real ToolBench data from the command line.

``stats`` prints query and API counts per category; ``check`` runs the oracle and a
finish-at-once agent on every query and ends with ``oracle_success: X`` and
``finish_now_success: Y``; ``serve`` answers StableToolBench's ``POST /virtual``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from toolenv.episode import Episode
from toolenv.records import EpisodeLimits, Task
from toolenv.toolbench.grading import SolvablePath, solvable_path
from toolenv.toolbench.options import SuiteOptions
from toolenv.toolbench.oracle import oracle_actions
from toolenv.toolbench.server import make_server
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
    server = make_server(_options(args), args.host, args.port, args.seed, verbose=args.verbose)
    host, port = server.server_address[:2]
    print(f"serving StableToolBench's virtual API: POST http://{host}:{port}/virtual (mode {args.mode})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


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
    tb = sub.add_parser("toolbench", help="real ToolBench/StableToolBench queries: stats, check, serve")
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
