"""The orthogonality heat map: cosines per (module type, layer), SFT-vs-RL next to the SFT-vs-SFT control.

Both panels share one diverging color scale centred at 0, symmetric around the largest |cosine| in either
panel, so "near zero" and "clearly positive" read at a glance and the two panels compare directly. Drawn with
matplotlib's Agg canvas directly (no pyplot global state, no display needed).
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from toolpast.analysis.records import OrthogonalityReport
from toolpast.io import AtomicFile

ANNOTATE_MAX_COLUMNS = 40  # beyond this the numbers no longer fit in the cells
CMAP = colormaps["RdBu_r"].with_extremes(bad="#dddddd")  # grey: no tensor of that module in that layer


def cosine_grid(report: OrthogonalityReport, which: str) -> np.ndarray:
    """rows = report.modules, columns = report.layers + ["other"]; NaN where a module has no tensor."""
    columns: list[int | None] = [*report.layers, None]
    grid = np.full((len(report.modules), len(columns)), np.nan)
    for cell in report.cells:
        value = getattr(cell.stats, which)
        if value is not None:
            grid[report.modules.index(cell.module), columns.index(cell.layer)] = value
    return grid


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


def write_heatmap(report: OrthogonalityReport, path: Path) -> None:
    panels = [("cos_sft_rl", "cos(dSFT, dRL)", report.overall.cos_sft_rl)]
    if report.control_sft_dir is not None:
        panels.append(("cos_sft_control", "cos(dSFT, dSFT_control)", report.overall.cos_sft_control))
    grids = [cosine_grid(report, key) for key, _, _ in panels]
    finite = [np.nanmax(np.abs(g)) for g in grids if np.isfinite(g).any()]
    bound = max([*finite, 1e-6])
    norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
    n_cols = len(report.layers) + 1
    width = min(4 + 0.45 * n_cols, 30)
    height = 1.2 + 0.45 * len(report.modules)
    fig = Figure(figsize=(width, height * len(panels) + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
    image = None
    for ax, grid, (_, title, overall) in zip(axes, grids, panels):
        image = ax.imshow(np.ma.masked_invalid(grid), cmap=CMAP, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_title(f"{title}   overall {_fmt(overall)}", fontsize=10)
        ax.set_yticks(range(len(report.modules)), report.modules, fontsize=8)
        ax.set_xticks(range(n_cols), [*map(str, report.layers), "other"], fontsize=7)
        ax.set_xlabel("layer")
        if n_cols <= ANNOTATE_MAX_COLUMNS:
            for (r, c), v in np.ndenumerate(grid):
                if math.isfinite(v):
                    dark = abs(v) > 0.6 * bound
                    ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=5.5,
                            color="white" if dark else "black")  # fmt: skip
    fig.colorbar(image, ax=list(axes), shrink=0.9, label="cosine")
    fig.suptitle(
        f"SFT vs RL update geometry: {Path(report.base_dir).name} -> {Path(report.sft_dir).name} -> "
        f"{Path(report.rl_dir).name}",
        fontsize=10,
    )
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150)
    with AtomicFile(path, "wb") as f:
        f.write(buf.getvalue())
