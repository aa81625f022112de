"""`toolpast leaderboard`: leaderboard JSON files shown as tables, merged, as one HTML page, the paper's transfer
table, or the JSON Schema. toolpast/cli.py asks `register` to add the group."""

from __future__ import annotations

from pathlib import Path

from toolpast.subcommands import group


def cmd_leaderboard_table(args) -> int:
    from toolpast.leaderboard.transfer import render_files

    text = render_files(args.files, args.out, split=args.split, suite=args.suite, lam=args.lam, keep=args.keep,
                        sft_data=args.sft_data, mixed_configs=args.allow_mixed_configs)
    print(args.out if args.out else text, end="\n" if args.out else "")
    return 0


def cmd_leaderboard(args) -> int:
    if args.action == "table":
        return cmd_leaderboard_table(args)
    if args.action == "schema":
        from toolpast.leaderboard.json_schema import write_schema

        print(write_schema(args.out) if args.out else write_schema())
        return 0
    if args.action in ("merge", "html"):
        from toolpast.leaderboard.html import write_page
        from toolpast.leaderboard.merge import merge_files

        result = merge_files(args.files, args.out if args.action == "merge" else None)
        print(write_page(result.board, args.out) if args.action == "html" else args.out,
              f"{len(result.board.entries)} entries ({result.inputs} read, {result.replaced} replaced by newer "
              "results of the same evaluation)")
        return 0
    from rich.console import Console  # not toolpast.progress: that imports transformers (seconds)

    from toolpast.leaderboard.merge import read_board
    from toolpast.leaderboard.table import render_leaderboard

    console = Console()
    if not console.is_terminal:  # pipes and logs: rich would wrap the table at 80 columns
        console.width = max(console.width, 140)
    for path in args.files:
        console.print(render_leaderboard(read_board(Path(path))))
    return 0


def register(sub) -> None:
    """Add `leaderboard` and its actions to the top-level subparsers."""
    board_sub = group(sub, "leaderboard", "Leaderboard JSON files: show, merge, HTML page, or the schema.",
                      cmd_leaderboard)
    show = board_sub.add_parser("show", help="Print leaderboard JSON files as tables.")
    show.add_argument("files", nargs="+", help="Leaderboard JSON files.")
    schema = board_sub.add_parser("schema", help="Write the JSON Schema (default: leaderboards/schema.json).")
    schema.add_argument("--out", type=Path, help="Where to write it instead.")
    merge = board_sub.add_parser("merge", help="Combine exports (runs, the shards of a `sweep --shard`); a rerun of "
                                               "the same evaluation keeps the newest.")
    merge.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files.")
    merge.add_argument("--out", type=Path, required=True, help="The merged leaderboard JSON.")
    page = board_sub.add_parser("html", help="One self-contained HTML page (sortable table, bars, PaST - SFT).")
    page.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files (merged first).")
    page.add_argument("--out", type=Path, required=True, help="The .html file to write.")
    tab = board_sub.add_parser("table", help="The paper's transfer table (markdown): base / SFT / PaST per category, "
                                             "the average with a category-stratified bootstrap, and the ladder.")
    tab.add_argument("files", nargs="+", type=Path, help="Leaderboard JSON files (merged first).")
    tab.add_argument("--out", type=Path, help="Write the markdown here instead of printing it.")
    tab.add_argument("--split", choices=["test", "validation"], help="Which split to report (needed when the files "
                                                                     "mix them; validation is for tuning only).")
    tab.add_argument("--suite", help="Which suite, when the files hold target categories of several.")
    tab.add_argument("--lam", type=float, help="Which PaST lambda, when a category has several.")
    tab.add_argument("--keep", type=float, help="Which PaST vector, when sparsified ones are beside the dense one: "
                                                "its kept share (1 = the dense vector).")
    tab.add_argument("--sft-data", help="Which SFT data protocol (docs, docs+trajectories), when several.")
    tab.add_argument("--allow-mixed-configs", action="store_true",
                     help="Compare a PaST entry with a target SFT of another run config (config hash: another "
                          "recipe) when the files hold none of its own; refused by default.")
