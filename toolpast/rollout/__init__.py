"""Rollouts: drive toolenv episodes with a model, turn by turn, on a pluggable token generator backend."""
