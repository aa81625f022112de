"""Analyses of trained checkpoints, e.g. whether the SFT and RL updates are orthogonal (the premise of PaST).

The names below are imported on first use: the analysis imports torch (seconds), and `toolpast` imports this
package's command module (toolpast.analysis.cli) on every call to offer the `analyze` command.
"""

from __future__ import annotations

from toolpast.lazy_exports import lazy_exports

_EXPORTS = {
    "GroupStats": "toolpast.analysis.records",
    "OrthogonalityReport": "toolpast.analysis.records",
    "TensorStats": "toolpast.analysis.records",
    "analyze_orthogonality": "toolpast.analysis.orthogonality",
}
__all__ = ["GroupStats", "OrthogonalityReport", "TensorStats", "analyze_orthogonality"]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
