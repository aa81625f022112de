"""Progress with an ETA for long stages: a rich bar on a terminal, one plain line per update in logs and CI
(rich draws nothing until the end when stdout is not a terminal). Also a TrainerCallback driving one from
TRL's loop, and the switch that silences the libraries' own tqdm bars, which would interleave with ours."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from transformers import TrainerCallback

from toolpast.stages.resume import whole_run_loss

console = Console(stderr=True)
if not console.is_terminal:  # logs and CI: rich would wrap tables at 80 columns
    console.width = max(console.width, 140)


def quiet_library_bars() -> None:
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


quiet_library_bars()


def bar_progress() -> Progress:
    """The columns of every toolpast bar: description, bar, done/total, elapsed, eta, a free-text info field."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[info]}"), console=console)


class Bar:
    """A progress bar with elapsed time and ETA; `update(completed, info)` sets its position."""

    def __init__(self, description: str, total: int, completed: int = 0):
        self.description, self.total = description, total
        self.start, self.start_done = time.time(), completed
        self._progress = None
        if console.is_terminal:
            self._progress = bar_progress()
            self._progress.start()
            self._task = self._progress.add_task(description, total=total, completed=completed, info="")

    def update(self, completed: int, info: str = "") -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=completed, info=info)
            return
        elapsed = time.time() - self.start
        done = completed - self.start_done
        eta = elapsed / done * (self.total - completed) if done > 0 else float("nan")
        console.print(f"{self.description}: {completed}/{self.total} elapsed {elapsed:.0f}s eta {eta:.0f}s {info}",
                      soft_wrap=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@contextmanager
def progress_bar(description: str, total: int):
    """Yield `advance(n=1, info="")`."""
    bar, state = Bar(description, total), {"done": 0}

    def advance(n: int = 1, info: str = "") -> None:
        state["done"] += n
        bar.update(state["done"], info)

    try:
        yield advance
    finally:
        bar.close()


class RichProgressCallback(TrainerCallback):
    """One bar per training stage (resumed steps count as done), plus a JSONL log of every logged metric."""

    def __init__(self, description: str, log_path: Path | None = None, keys: dict[str, str] | None = None):
        self.description, self.log_path = description, log_path
        self.keys = keys or {"loss": "loss"}  # label shown -> key in the trainer's logs
        self._bar: Bar | None = None
        self._info = ""
        self.resumed_at = 0  # the step this session started from (> 0: resumed from a checkpoint)

    def on_train_begin(self, args, state, control, **kwargs):
        self.resumed_at = state.global_step
        self._bar = Bar(self.description, state.max_steps, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        shown = [f"{label}={logs[key]:.3g}" for label, key in self.keys.items()
                 if isinstance(logs.get(key), (int, float))]
        if shown:
            self._info = " ".join(shown)
            if self._bar is not None:
                self._bar.update(state.global_step, self._info)
        if self.resumed_at and "train_loss" in logs and any("loss" in row for row in state.log_history):
            logs = {**logs, "train_loss": whole_run_loss(state.log_history)}  # the Trainer's: this session's only
        if self.log_path is not None:
            with open(self.log_path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"step": state.global_step, **logs}) + "\n")

    def on_train_end(self, args, state, control, **kwargs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
