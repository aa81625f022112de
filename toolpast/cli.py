"""The `toolpast` command line: the whole pipeline (`run`) and each stage on its own.

Errors with a message that says what to fix are printed as one `toolpast: error:` line (exit 2); set
TOOLPAST_TRACEBACK=1 to see their traceback."""

from __future__ import annotations

import argparse
import os
import sys

from toolpast import distributed
from toolpast.analysis import cli as analysis_cli
from toolpast.bench import cli as bench_cli
from toolpast.leaderboard import cli as leaderboard_cli
from toolpast.qa import cli as qa_cli
from toolpast.serve import cli as serve_cli
from toolpast.tooluse import cli as tooluse_cli

# The modules that add the commands, in the order `toolpast --help` lists them (the tool-use suite's task commands,
# feasibility and categories, have always come after bench).
REGISTERS = (tooluse_cli.register, leaderboard_cli.register, analysis_cli.register, bench_cli.register,
             tooluse_cli.register_tasks, serve_cli.register, qa_cli.register)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="toolpast", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for register in REGISTERS:
        register(sub)
    return parser


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message says what to fix (bad input, a missing, existing or corrupt file, a full disk or a
    read-only place, a stage another process is building, an unreachable server): `main` prints them as one line
    and exits 2; anything else is a bug and keeps its traceback."""
    from toolpast.artifacts import StageLocked
    from toolpast.distributed import MainProcessFailed
    from toolpast.models import ModelNotAvailable
    from toolpast.rollout.openai_chat import BackendUnavailable
    from toolpast.write_errors import CannotWrite

    return (ValueError, FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError, PermissionError,
            CannotWrite, StageLocked, ModelNotAvailable, BackendUnavailable, MainProcessFailed)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as error:  # noqa: BLE001 - the one place that turns known errors into one line
        from toolpast.write_errors import restate

        error = restate(error) or error  # a full disk, a read-only place: the path and the fix, not the OS's words
        if os.environ.get("TOOLPAST_TRACEBACK") or not isinstance(error, user_errors()):
            raise
        print(f"toolpast: error: {error or type(error).__name__}", file=sys.stderr)
        return 2
    finally:
        distributed.shutdown()  # under a launcher: close the process groups (a no-op in one process)


if __name__ == "__main__":
    sys.exit(main())
