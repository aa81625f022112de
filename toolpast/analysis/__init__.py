"""Analyses of trained checkpoints, e.g. whether the SFT and RL updates are orthogonal (the premise of PaST)."""

from toolpast.analysis.orthogonality import analyze_orthogonality
from toolpast.analysis.records import GroupStats, OrthogonalityReport, TensorStats

__all__ = ["GroupStats", "OrthogonalityReport", "TensorStats", "analyze_orthogonality"]
