#!/usr/bin/env bash
# The accuracy/sparsity matrix of issue 3: every threshold rule x scheduler x tile order on every
# trace of a folder, as one CSV (one row per config and trace entry, plus the mean over entries).
# usage: scripts/eval_matrix.sh [EVAL_BINARY] [TRACE_DIR] [ROWS] > matrix.csv
set -euo pipefail
eval_bin=${1:-build/default/examples/bitsieve-eval}
trace=${2:-../shared/data/real-attention}
rows=${3:-1024}
rules=("dense:--threshold dense" "lats-0.6:--threshold lats" "lats-1.0:--threshold lats --alpha 1.0"
       "mass-0.01:--threshold mass --delta 0.01" "mass-0.01-uniform:--threshold mass --delta 0.01 --shares uniform"
       "topk-32:--threshold topk --k 32")
scheds=("lockstep:--scheduler lockstep" "ooo32:--scheduler ooo --lanes 32")
tiles=("sequential:--tiles sequential --tile-size 256" "interleaved:--tiles interleaved --tile-size 256"
       "head-tail:--tiles head-tail --tile-size 256")
first=1
for r in "${rules[@]}"; do
  for s in "${scheds[@]}"; do
    for t in "${tiles[@]}"; do
      # shellcheck disable=SC2086
      out=$("$eval_bin" --trace "$trace" --rows "$rows" --csv ${r#*:} ${s#*:} ${t#*:})
      if [ $first = 1 ]; then echo "rule,scheduler,tiles,$(echo "$out" | head -n 1)"; first=0; fi
      echo "$out" | tail -n +2 | sed "s/^/${r%%:*},${s%%:*},${t%%:*},/"
    done
  done
done
