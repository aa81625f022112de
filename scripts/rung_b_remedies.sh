#!/usr/bin/env bash
# Rung (b) remedies for a finished `scripts/rung_b.sh OUT` (issue 24, part 3), each judged like the recipe itself:
# on Movies' untrained train tasks (116 under rl.select_every: heldout_compare.py leaves out the 20 RL's policy was
# chosen on) against the same source SFT (whose episodes are reused, not re-run):
#   lam2   SFT + 2 v          RL weight deltas grow nearly linearly along one direction, so lambda > 1 should
#                             extrapolate further RL (RELEX, DoTS, RAM; 2026)
#   top30  SFT + v_top30      v with each tensor's top 30% entries by magnitude, norm restored (`skill sparsify`)
# Then source SFT vs source RL on Movies' 60 test tasks, the must-show's split (reported, never used to choose).
# Resumable: rerun the same command; finished comparisons are skipped.
#
#   scripts/rung_b_remedies.sh OUT [--set a.b=v ...]   # the same --set options as rung_b.sh
#
# Last lines: one `NAME - SFT: ...` per remedy (OUT/remedies/NAME/summary.json), then `RL - SFT` on the test split.
# Cost on a 2-core AVX2 CPU at 6 x 96: ~12 min per model evaluated, seconds per vector.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,14p "$0"; exit 2; }
OUT=$1; shift
SETS=("$@")
cd "$(dirname "$0")/.."
T=.venv/bin/toolpast
PY=.venv/bin/python
SFT=$OUT/sft/model
RL=$OUT/rl/model
[ -f "$RL/config.json" ] || { echo "no $RL: run scripts/rung_b.sh $OUT first" >&2; exit 2; }
[ -f "$OUT/compare/summary.json" ] || { echo "no $OUT/compare/summary.json: finish scripts/rung_b.sh $OUT" >&2
  exit 2; }

compare() {  # NAME MODEL_DIR [SPLIT]: NAME vs the source SFT; the SFT's episodes come from rung_b.sh's comparison
  local name=$1 model=$2 split=${3:-untrained} dir=$OUT/remedies/$1
  [ "$split" = test ] && dir=$OUT/test
  [ -f "$dir/summary.json" ] && { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))['summary'])" \
    "$dir/summary.json"; return; }
  mkdir -p "$dir"
  [ "$split" = untrained ] && [ ! -e "$dir/SFT" ] && cp -r "$OUT/compare/SFT" "$dir/SFT"
  local extra=()
  [ "$split" = test ] && extra=(--split test --set eval.tasks=60)
  $PY scripts/heldout_compare.py --category movies --baseline "SFT=$SFT" --candidate "$name=$model" \
    --out "$dir" "${extra[@]}" "${SETS[@]}" | tail -n 1
}

[ -d "$OUT/vector" ] || $T skill extract --rl "$RL" --sft "$SFT" --out "$OUT/vector"
[ -d "$OUT/vector_top30" ] || $T skill sparsify --vector "$OUT/vector" --keep 0.3 --out "$OUT/vector_top30"
[ -d "$OUT/sft_plus_2v" ] || $T skill inject --model "$SFT" --vector "$OUT/vector" --lambda 2 --out "$OUT/sft_plus_2v"
[ -d "$OUT/sft_plus_top30" ] || $T skill inject --model "$SFT" --vector "$OUT/vector_top30" --lambda 1 \
  --out "$OUT/sft_plus_top30"
compare lam2 "$OUT/sft_plus_2v"
compare top30 "$OUT/sft_plus_top30"
compare RL "$RL" test
