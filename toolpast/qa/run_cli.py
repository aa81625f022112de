"""`toolpast qa squad` and `toolpast qa loogle`: argument parsing for the two suites' runs (logic lives in
squad_run.py and loogle_run.py). Every config field is settable with `--set path=value`; `--help` lists them."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from toolpast.overrides import apply_overrides, describe_fields

STAGES = ("qa_source_sft", "qa_rl", "qa_vector", "qa_inject", "qa_implications", "qa_answers", "qa_cpt_sft")


def _settings_epilog(model) -> str:
    rows = "\n".join(f"  {path:<34} {default:<14} {desc}" for path, default, desc in describe_fields(model))
    return f"settings for --set (path, default, meaning):\n{rows}"


def _sets(args) -> list[str]:
    sets = list(args.set or [])
    for flag in ("model", "seed", "lam"):
        if getattr(args, flag, None) is not None:
            sets.append(f"{flag}={getattr(args, flag)}")
    for flag in ("knowledge", "past"):
        if getattr(args, flag, None) is not None:
            sets.append(f"{flag}={json.dumps(getattr(args, flag))}")
    return sets


def squad_config(args):
    from toolpast.qa.config import squad_preset

    extra = [f"passages={args.passages}"] if args.passages is not None else []
    if args.setting is not None:
        extra.append(f"setting={args.setting}")
    if args.cpt_n is not None:
        extra.append(f"cpt.n={args.cpt_n}")
    return apply_overrides(squad_preset(args.preset), extra + _sets(args))


def loogle_config(args):
    from toolpast.qa.config import loogle_preset

    extra = [f"kind={args.kind}"] if args.kind else []
    if args.documents is not None:
        extra.append(f"documents={args.documents}")
    return apply_overrides(loogle_preset(args.preset), extra + _sets(args))


def _run(args, cfg, run_fn) -> int:
    from toolpast.progress import console

    unknown = set(args.force or []) - set(STAGES)
    if unknown:
        raise ValueError(f"--force takes stage names {list(STAGES)}, got {sorted(unknown)}")
    command = "toolpast " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    _, path = run_fn(cfg, export=args.export, command=command, force=set(args.force or []))
    console.print(f"leaderboard JSON: {path}")
    return 0


def cmd_qa_squad(args) -> int:
    from toolpast.qa.squad_run import run_squad

    return _run(args, squad_config(args), run_squad)


def cmd_qa_loogle(args) -> int:
    from toolpast.qa.loogle_run import run_loogle

    return _run(args, loogle_config(args), run_loogle)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="cpu", choices=["smoke", "cpu", "paper"],
                        help="smoke (tiny random model, seconds), cpu (SmolLM2-135M, default), paper (Qwen2.5-7B).")
    parser.add_argument("--model", help="Model spec (embedded name, local dir, hub id); overrides the preset's.")
    parser.add_argument("--seed", type=int, help="Seed of training, sampling and the source-passage shuffle.")
    parser.add_argument("--lam", type=float, help="Skill vector scale lambda (default 1).")
    parser.add_argument("--knowledge", nargs="+", metavar="K",
                        help="SFT variants: passage, passage+implications:{qwen,gpt41,self}.")
    parser.add_argument("--past", nargs="*", metavar="K", help="Knowledge sources also evaluated + lambda * v "
                                                               "(none: no skill vector is learned).")
    parser.add_argument("--export", type=Path, help="Leaderboard JSON path (default: leaderboards/...).")
    parser.add_argument("--force", nargs="+", metavar="STAGE", help=f"Rebuild these stages: {' '.join(STAGES)}.")
    parser.add_argument("--set", action="append", metavar="PATH=VALUE", help="Override any setting (repeatable).")


def add_suite_parsers(qa_sub) -> None:
    """Add `squad` and `loogle` to the `qa` group's subparsers."""
    from toolpast.qa.config import LoogleConfig, SquadConfig

    fmt = argparse.RawDescriptionHelpFormatter
    squad = qa_sub.add_parser(
        "squad", help="SQuAD knowledge incorporation (SEAL's protocol) with PaST: a leaderboard.",
        formatter_class=fmt, epilog=_settings_epilog(SquadConfig),
        description="base | SFT on passage (+ implications) | + PaST skill vector, closed-book answers to SEAL's "
                    "200 evaluation passages' questions (single passage: a fresh LoRA per passage; cpt: one SFT "
                    "on n passages). All 200 passages: --passages 200; CPT: --setting cpt --cpt-n 200 (or 2067).")
    squad.add_argument("--passages", type=int, help="Single passage: the first N of SEAL's 200 (cpu preset: 10).")
    squad.add_argument("--setting", choices=["single_passage", "cpt"], help="Default single_passage.")
    squad.add_argument("--cpt-n", type=int, help="CPT: passages trained on at once (200 or 2067 in SEAL).")
    _common(squad)
    squad.set_defaults(func=cmd_qa_squad)
    loogle = qa_sub.add_parser(
        "loogle", help="LooGLE long-document QA: document chunks SFT, closed-book answers, + PaST.",
        formatter_class=fmt, epilog=_settings_epilog(LoogleConfig),
        description="Per LooGLE document: LoRA on its chunks, its questions closed-book, then + lambda * v.")
    loogle.add_argument("--kind", choices=["shortdep", "longdep"], help="LooGLE split (default shortdep).")
    loogle.add_argument("--documents", type=int, help="The first N documents (5 in each split).")
    _common(loogle)
    loogle.set_defaults(func=cmd_qa_loogle)
