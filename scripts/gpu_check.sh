#!/usr/bin/env bash
# The prepared GPU check: toolpast's GPU paths on one GPU in at most 10 minutes (scripts/gpu_check.py says what
# it runs and prints). Usage, from anywhere:
#   scripts/gpu_check.sh            # on a GPU machine (make setup TORCH_SPEC=torch; pip install -e '.[vllm]')
#   scripts/gpu_check.sh --cpu      # the CPU self-test, tiny step counts
# PYTHON picks the interpreter (default: the checkout's .venv). The last line is the one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec timeout --signal=INT --kill-after=30 600 "$PYTHON" scripts/gpu_check.py "$@"
