"""`toolpast qa squad` and `toolpast qa loogle`: argument parsing for the two suites' runs (logic lives in
squad_run.py and loogle_run.py). Every config field is settable with `--set path=value`; `--help` lists them."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from toolpast.overrides import add_config_options, apply_overrides, flag_sets, settings_epilog
from toolpast.presets import names as preset_names
from toolpast.qa.config import LoogleConfig, QARunConfig, SquadConfig
from toolpast.qa.presets import get_preset

STAGES = ("qa_source_sft", "qa_rl", "qa_vector", "qa_inject", "qa_implications", "qa_answers", "qa_cpt_sft")
# flags that are --set written short: flag -> config path (the suite's own ones go before --set, these after)
COMMON_FLAGS = {"model": "model", "seed": "seed", "lam": "lam", "knowledge": "knowledge", "past": "past"}
LISTS = ("knowledge", "past")


def _config(args, suite: str, suite_flags: dict[str, str]):
    sets = [*flag_sets(args, suite_flags), *(args.set or []), *flag_sets(args, COMMON_FLAGS, as_json=LISTS)]
    return apply_overrides(get_preset(args.preset, suite), sets)


def squad_config(args) -> SquadConfig:
    return _config(args, "squad", {"passages": "passages", "setting": "setting", "cpt_n": "cpt.n"})


def loogle_config(args) -> LoogleConfig:
    return _config(args, "loogle", {"kind": "kind", "documents": "documents"})


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


def _common(parser: argparse.ArgumentParser, suite: str) -> None:
    add_config_options(parser, QARunConfig, preset_names(suite), "smoke (tiny random model, seconds), cpu "
                       "(SmolLM2-135M, default), paper (Qwen2.5-7B).")
    parser.add_argument("--lam", type=float, help="Skill vector scale lambda (default 1).")
    parser.add_argument("--knowledge", nargs="+", metavar="K",
                        help="SFT variants: passage, passage+implications:{qwen,gpt41,self}.")
    parser.add_argument("--past", nargs="*", metavar="K", help="Knowledge sources also evaluated + lambda * v "
                                                               "(none: no skill vector is learned).")
    parser.add_argument("--export", type=Path, help="Leaderboard JSON path (default: leaderboards/...).")
    parser.add_argument("--force", nargs="+", metavar="STAGE", help=f"Rebuild these stages: {' '.join(STAGES)}.")


def add_suite_parsers(qa_sub) -> None:
    """Add `squad` and `loogle` to the `qa` group's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    squad = qa_sub.add_parser(
        "squad", help="SQuAD knowledge incorporation (SEAL's protocol) with PaST: a leaderboard.",
        formatter_class=fmt, epilog=settings_epilog(SquadConfig),
        description="base | SFT on passage (+ implications) | + PaST skill vector, closed-book answers to SEAL's "
                    "200 evaluation passages' questions (single passage: a fresh LoRA per passage; cpt: one SFT "
                    "on n passages). All 200 passages: --passages 200; CPT: --setting cpt --cpt-n 200 (or 2067).")
    squad.add_argument("--passages", type=int, help="Single passage: the first N of SEAL's 200 (cpu preset: 10).")
    squad.add_argument("--setting", choices=["single_passage", "cpt"], help="Default single_passage.")
    squad.add_argument("--cpt-n", type=int, help="CPT: passages trained on at once (200 or 2067 in SEAL).")
    _common(squad, "squad")
    squad.set_defaults(func=cmd_qa_squad)
    loogle = qa_sub.add_parser(
        "loogle", help="LooGLE long-document QA: document chunks SFT, closed-book answers, + PaST.",
        formatter_class=fmt, epilog=settings_epilog(LoogleConfig),
        description="Per LooGLE document: LoRA on its chunks, its questions closed-book, then + lambda * v.")
    loogle.add_argument("--kind", choices=["shortdep", "longdep"], help="LooGLE split (default shortdep).")
    loogle.add_argument("--documents", type=int, help="The first N documents (5 in each split).")
    _common(loogle, "loogle")
    loogle.set_defaults(func=cmd_qa_loogle)
