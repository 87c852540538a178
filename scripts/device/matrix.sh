#!/usr/bin/env bash
# Notebook matrix rows on a GPU host: each notebook's full profile, then the same under a 22 GiB
# memory budget (the "as 24 GiB" column), into $OUT/gpu-test (merge into reports/gpu-test/ with
# `python3 scripts/device/merge_matrix.py $OUT/gpu-test reports/gpu-test`).
#
#   bash scripts/device/matrix.sh notebooks/gpu_validation.py notebooks/graph_analytics.py
#
# Env: TIMEOUT_S (per notebook run, default 300), BUDGET (default 22GiB), SKIP_BUDGET=1 to run
# only the full column. Needs marimo's wheels carried in .whl/ (setup.sh installs them).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT/gpu-test"
timeout_s=${TIMEOUT_S:-300}
budget=${BUDGET:-22GiB}
source scripts/device/setup.sh
start=$(date +%s)
for notebook in "$@"; do
  echo "== [$(($(date +%s) - start)) s] $notebook: full"
  gpulab test "$notebook" --profile full --timeout "$timeout_s" --report "$OUT/gpu-test"
  if [ -z "${SKIP_BUDGET:-}" ]; then
    echo "== [$(($(date +%s) - start)) s] $notebook: full under a $budget budget"
    gpulab test "$notebook" --profile full --memory-budget "$budget" --timeout "$timeout_s" \
      --report "$OUT/gpu-test"
  fi
done
echo "== [$(($(date +%s) - start)) s] done"
