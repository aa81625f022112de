"""`toolpast analyze`: analyses of checkpoints (`orthogonality`: SFT vs RL updates). toolpast/cli.py asks
`register` to add the group."""

from __future__ import annotations

from pathlib import Path

from toolpast.subcommands import group, required


def cmd_analyze(args) -> int:
    from rich.console import Console

    from toolpast.analysis import analyze_orthogonality
    from toolpast.analysis.table import orthogonality_table

    report = analyze_orthogonality(Path(args.base), Path(args.sft), Path(args.rl), Path(args.out),
                                   control_sft_dir=Path(args.control_sft) if args.control_sft else None)
    console = Console()
    if not console.is_terminal:  # logs and CI: rich would wrap the table at 80 columns
        console.width = max(console.width, 140)
    console.print(orthogonality_table(report))
    print(f"report: {report.json_path}\nheat map: {report.png_path}")
    return 0


def register(sub) -> None:
    """Add `analyze` and its actions to the top-level subparsers."""
    analyze_sub = group(sub, "analyze", "Analyses of checkpoints, e.g. SFT vs RL update orthogonality.", cmd_analyze)
    ortho = analyze_sub.add_parser("orthogonality", help="Layer-wise cosines of dSFT = sft - base vs dRL = rl - sft.")
    required(ortho, {"--base": "The checkpoint SFT started from.", "--sft": "The SFT checkpoint RL started from.",
                     "--rl": "The RL-trained checkpoint."})
    ortho.add_argument("--control-sft", help="A second SFT of the same base on another category (control pair).")
    ortho.add_argument("--out", required=True, help="Directory for orthogonality.json and orthogonality.png.")
