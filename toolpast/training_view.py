"""A live view of an RL run: the progress bar plus a table of the last steps and a sparkline of the reward.

RL is the stage where one wants to see the curve while it runs, not afterwards: reward, success, KL to the start
model, completion lengths and step time per optimizer step. On a terminal this is a rich Live display; in logs
and CI (no terminal) every logged step becomes one plain line; the JSONL log (progress.RichProgressCallback) is
written either way.
"""

from __future__ import annotations

from rich.console import Group
from rich.live import Live
from rich.table import Table

from toolpast.progress import Bar, RichProgressCallback, bar_progress, console

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """One character per value, scaled between the series' min and max."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1) + 0.5))] for v in values)


def history_table(rows: list[dict], keys: dict[str, str], last: int = 8) -> Table:
    """The last `last` logged steps; columns are the labels of `keys` (label -> trainer log key)."""
    rewards = [r[keys["reward"]] for r in rows if isinstance(r.get(keys.get("reward", "")), (int, float))]
    caption = f"reward {sparkline(rewards)}  first {rewards[0]:.3f} -> last {rewards[-1]:.3f}" if rewards else None
    table = Table(title="RL steps", caption=caption, caption_justify="left", min_width=72)
    table.add_column("step", justify="right")
    for label in keys:
        table.add_column(label, justify="right")
    for row in rows[-last:]:
        cells = [row.get(key) for key in keys.values()]
        table.add_row(str(row["step"]), *("-" if v is None else f"{v:.4g}" for v in cells))
    return table


class _LiveBar(Bar):
    """A Bar drawn inside a Live display together with the step table."""

    def __init__(self, description: str, total: int, completed: int, render_table):
        self.description, self.total, self.start_done = description, total, completed
        self._render_table = render_table
        self._progress = bar_progress()
        self._task = self._progress.add_task(description, total=total, completed=completed, info="")
        self._live = Live(self._group(), console=console, refresh_per_second=2)
        self._live.start()

    def _group(self) -> Group:
        return Group(self._progress, self._render_table())

    def update(self, completed: int, info: str = "") -> None:
        self._progress.update(self._task, completed=completed, info=info)
        self._live.update(self._group())

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


class LiveTrainingCallback(RichProgressCallback):
    """RichProgressCallback plus, on a terminal, a live table of the last steps (see history_table)."""

    def __init__(self, description: str, log_path, keys: dict[str, str]):
        super().__init__(description, log_path, keys)
        self.rows: list[dict] = []

    def on_train_begin(self, args, state, control, **kwargs):
        if not console.is_terminal:
            return super().on_train_begin(args, state, control, **kwargs)
        self.resumed_at = state.global_step
        self._bar = _LiveBar(self.description, state.max_steps, state.global_step,
                             lambda: history_table(self.rows, self.keys))

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and any(key in logs for key in self.keys.values()):
            self.rows.append({"step": state.global_step, **logs})
        super().on_log(args, state, control, logs=logs, **kwargs)
