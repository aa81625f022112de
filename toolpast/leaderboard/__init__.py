"""Leaderboard records: the versioned JSON schema of every exported result, and its statistics."""

from toolpast.leaderboard.schema import (SCHEMA_VERSION, Entry, Leaderboard, Metrics, ModelIdentity, Provenance,
                                         Variant)
from toolpast.leaderboard.stats import wilson_interval

__all__ = ["SCHEMA_VERSION", "Entry", "Leaderboard", "Metrics", "ModelIdentity", "Provenance", "Variant",
           "wilson_interval"]
