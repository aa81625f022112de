"""Command line: ``python -m toolenv {list,show,play,bench,toolbench}`` (stdlib only)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from toolenv.bench import pin_to_one_core, run_bench
from toolenv.episode import Episode
from toolenv.records import EpisodeLimits
from toolenv.suites import get_category, list_categories
from toolenv.toolbench.cli import add_toolbench_parser

__all__ = ["main"]


def _list(_: argparse.Namespace) -> None:
    for slug in list_categories():
        print(slug)


def _show(args: argparse.Namespace) -> None:
    cat = get_category(args.category, args.seed)
    print(f"{cat.name} ({cat.slug}): {cat.spec.description}\n")
    width = max(len(fn.name) for fn in cat.functions.values())
    for tool in cat.spec.tools:
        print(f"[{tool.name}] {tool.description}")
        for fn in (f for f in cat.functions.values() if f.tool.name == tool.name):
            params = ", ".join(p.name + ("" if p.required else "?") for p in fn.params)
            print(f"  {fn.name:<{width}}  {fn.impl.method:<5} ({params})")
    print(f"\nSample {args.split} tasks:")
    for task in cat.tasks(args.split, args.n):
        print(f"  {task.id} [{task.kind}, {len(task.gold_calls)} calls] {task.query}")
        print(f"      gold: {task.gold_answer}")


def _blocks(stream: TextIO, interactive: bool) -> Iterator[str]:
    """Actions separated by blank lines; EOF ends the last one."""
    lines: list[str] = []
    while True:
        if interactive and not lines:
            print("action> ", end="", flush=True)
        line = stream.readline()
        if not line or not line.strip():
            if lines:
                yield "".join(lines).strip()
                lines = []
            if not line:
                return
            continue
        lines.append(line)


def _play(args: argparse.Namespace) -> None:
    cat = get_category(args.category, args.seed)
    tasks = cat.tasks(args.split)
    if not 0 <= args.task_index < len(tasks):
        sys.exit(f"--task-index must be in [0, {len(tasks) - 1}]")
    task = tasks[args.task_index]
    ep = Episode(task, book=args.book, limits=EpisodeLimits(max_steps=args.max_steps))
    for m in ep.reset():
        print(f"--- {m['role']} ---\n{m['content']}")
    print("--- (type an action; a blank line sends it; EOF ends) ---")
    for action in _blocks(sys.stdin, sys.stdin.isatty()):
        obs = ep.step(action)
        print(f"Observation: {obs.text}" + ("  [done]" if obs.done else ""))
        if obs.done:
            break
    grade = ep.grade()
    print(json.dumps({**grade.model_dump(), "reward": round(grade.reward(), 4)}, indent=1))


def _bench(args: argparse.Namespace) -> None:
    cpu = pin_to_one_core() if not args.no_pin else None
    result = run_bench(args.repeats, args.per_category, args.seed)
    print(f"steps per repeat: {result.steps_per_repeat} (oracle actions, {len(list_categories())} categories)")
    print(f"cpu: {cpu if cpu is not None else 'not pinned'}")
    print("rates: " + ", ".join(f"{r:,.0f}" for r in result.rates))
    print(f"steps_per_second: {result.median:.0f}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m toolenv", description="ToolBench-style tool-use simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="print one category slug per line").set_defaults(run=_list)
    s = sub.add_parser("show", help="tools, APIs and sample tasks of a category")
    s.add_argument("category")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--split", choices=("train", "test"), default="test")
    s.add_argument("--n", type=int, default=5, help="number of sample tasks")
    s.set_defaults(run=_show)
    s = sub.add_parser("play", help="act in an episode by hand (stdin may be piped)")
    s.add_argument("category")
    s.add_argument("--task-index", type=int, default=0)
    s.add_argument("--split", choices=("train", "test"), default="test")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--book", choices=("closed", "open"), default="closed")
    s.add_argument("--max-steps", type=int, default=6)
    s.set_defaults(run=_play)
    s = sub.add_parser("bench", help="measure steps/second on one core")
    s.add_argument("--repeats", type=int, default=7)
    s.add_argument("--per-category", type=int, default=60, help="test tasks per category")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    s.set_defaults(run=_bench)
    add_toolbench_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except ValueError as e:  # unknown category and similar user errors
        sys.exit(f"error: {e}")
    except BrokenPipeError:  # e.g. `python -m toolenv list | head -1`
        sys.stderr.close()
