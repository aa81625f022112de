#!/usr/bin/env bash
# PaST's transfer table: every RL-unseen target category of tasks/native.json, one `toolpast run` each.
# The warm-up, source SFT, RL and skill vector are built once and reused by every target (content-addressed).
# Usage: scripts/sweep_targets.sh [PRESET] [extra toolpast run args...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-cpu}"; shift || true
targets=$(.venv/bin/python -c 'import json; print(" ".join(json.load(open("tasks/native.json"))["roles"]["targets"]))')
for target in $targets; do
  .venv/bin/toolpast run --category "$target" --preset "$preset" "$@" \
    --export "leaderboards/native_${target}_${preset}.json"
done
