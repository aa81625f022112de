#!/usr/bin/env bash
# Rung (b) of the ladder for one recipe: does source RL beat source SFT on Movies' untrained train tasks (136;
# 116 under rl.select_every, which chooses RL's policy on 20 of them: those are left out)?
# Resumable (rerun the same command: finished steps are skipped, a killed SFT or RL resumes from its checkpoint).
#
#   scripts/rung_b.sh OUT [--set a.b=v ...]      # the --set options apply to SFT, RL and the task split alike
#
# e.g. recipe-log item 9's recipe at the cpu preset's 6 x 96 budget (docs/results.md):
#   scripts/rung_b.sh ~/.cache/toolpast/experiments/rungb_3ep_6x96 --set sft.steps=30 \
#     --set sft.trajectories.steps=15 --set rl.reward_scheme=prototype --set rl.learning_rate=1e-5 \
#     --set rl.steps=32 --set rl.select_every=8
# The last line printed is `RL - SFT: +x.x points [lo, hi] (paired bootstrap ...)`; OUT/compare/summary.json
# holds both models' metrics. Then `scripts/rung_b_remedies.sh OUT` (same --set options): lambda 2, the top-30%
# vector, and RL vs SFT on the test split. Cost on 2 cores: with AVX512-BF16 (bf16 autocast, 2026-12-08) SFT 556 s
# doc pairs + 406 s trajectories, GRPO at 6 x 96 a median 161 s per step (~1.5 h for 32); AVX2 only (fp32,
# 2026-12-07) SFT ~1 h, GRPO a median 455 s per step (~4 h). Rerun to resume; the cache under $TOOLPAST_HOME must
# survive between sittings. Evaluation ~12 min per model.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,17p "$0"; exit 2; }
OUT=$1; shift
cd "$(dirname "$0")/.."
T=.venv/bin/toolpast
mkdir -p "$OUT"
[ -f "$OUT/sft/model/config.json" ] || $T sft --categories movies --out "$OUT/sft" "$@"
[ -f "$OUT/rl/model/config.json" ] || $T rl --categories movies --model "$OUT/sft/model" --out "$OUT/rl" "$@"
.venv/bin/python scripts/heldout_compare.py --category movies --baseline "SFT=$OUT/sft/model" \
  --candidate "RL=$OUT/rl/model" --out "$OUT/compare" "$@"
