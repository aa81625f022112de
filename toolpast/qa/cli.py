"""The `toolpast qa` command group: QA suites (SQuAD under SEAL's protocol, LooGLE) and their grading.

Kept out of toolpast/cli.py so the group grows here; cli.py only calls `register(sub)`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_qa_calibrate(args) -> int:
    from toolpast.io import atomic_write_json
    from toolpast.qa.calibrate import calibrate, render

    report = calibrate(args.verdicts)
    if args.json:
        atomic_write_json(args.json, report.model_dump())
    print(render(report))  # the last line must stay `agreement: X kappa: Y`
    return 0


def register(subparsers) -> argparse.ArgumentParser:
    """Add `qa` and its subcommands to the top-level subparsers; returns the `qa` parser."""
    qa = subparsers.add_parser("qa", help="QA suites (SQuAD/SEAL, LooGLE) and their grading.")
    qa_sub = qa.add_subparsers(dest="action", required=True)
    cal = qa_sub.add_parser(
        "calibrate", help="Agreement of the offline grader with GPT-4.1 on SEAL's graded answers.",
        description="Reads SEAL result files (per question: gold answer, model answers, GPT-4.1's verdicts; e.g. "
                    "../shared/data/squad/judge_calibration/*.json) and prints the offline grader's agreement, "
                    "Cohen's kappa and confusion counts per file and pooled, then a held-out check of its "
                    "thresholds. The last line is `agreement: X kappa: Y` (pooled).")
    cal.add_argument("--verdicts", nargs="+", required=True, type=Path, metavar="FILE",
                     help="SEAL result JSON files with baseline_/adapter_answer and _correct per question.")
    cal.add_argument("--json", type=Path, metavar="OUT", help="Also write the full report as JSON here.")
    cal.set_defaults(func=cmd_qa_calibrate)
    from toolpast.qa.run_cli import add_suite_parsers  # `squad` and `loogle` (their runs: squad_run, loogle_run)

    add_suite_parsers(qa_sub)
    return qa
