"""What the command modules share when they register their subcommands on `toolpast`'s parser (toolpast/cli.py
asks each of them): a command whose actions are subcommands, and required string options."""

from __future__ import annotations

import argparse


def group(sub, name: str, what: str, func) -> argparse._SubParsersAction:
    """A command whose actions are subcommands (`skill extract`, `bench regress`, ...): their subparsers."""
    command = sub.add_parser(name, help=what)
    command.set_defaults(func=func)
    return command.add_subparsers(dest="action", required=True)


def required(parser: argparse.ArgumentParser, helps: dict[str, str]) -> None:
    """Required string options that differ only in name and help (flag -> help)."""
    for flag, text in helps.items():
        parser.add_argument(flag, required=True, help=text)
