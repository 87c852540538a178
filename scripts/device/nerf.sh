#!/usr/bin/env bash
# GPU proof for the NeRF issue, on the H200: the benchmark, then the notebook's full profile
# headless, then the same under a 22 GiB memory budget.
#
# 1. `gpulab bench nerf --profile full`: procedural scene (100 training + 20 held-out 400²
#    views), vanilla NeRF (coarse + fine 8 x 256, 64 + 128 samples, 4096 rays a step) for a
#    fixed 300 s of training, then ours (16-level hash grid, 2^19 entries, occupancy grid,
#    4096 rays a step) until it reaches vanilla's best held-out PSNR and 30 dB, at most 90 s.
#    About 6.5 minutes with the scene and the evaluation; printed: both curves' summary, ours'
#    time to vanilla's best and to 30 dB, PSNR at 30 s and 60 s, the ratio.
# 2. `gpulab test notebooks/nerf.py --profile full` (30 s per model + evaluation: about 1.3 min).
# 3. The same with GPULAB_MEMORY_BUDGET=22GiB (about 1.3 min); skip it with NERF_SKIP_BUDGET=1
#    (NERF_SKIP_BENCH=1 skips step 1, NERF_SKIP_NOTEBOOK=1 step 2).
# Whole script: about 9 minutes. Writes $OUT/nerf.json (commit as reports/bench/nerf.json),
# $OUT/nerf.log, $OUT/gpu-test/ and $OUT/gpu-test-budget/.
# No extra wheels: torch and pillow are on the host (marimo wheels for steps 2-3 in .whl/).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/nerf.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

python3 - <<'PY'
import torch
print(f"torch {torch.__version__}; GPU:",
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
PY

if [ "${NERF_SKIP_BENCH:-0}" != 1 ]; then
step "bench nerf --profile full (vanilla 300 s, ours to vanilla's best and 30 dB, <= 90 s)"
timeout ${BENCH_TIMEOUT_S:-480} gpulab bench nerf --profile full --out "$OUT/bench"
step "bench exit status $?"
fi
if [ -f "$OUT/bench/nerf.json" ]; then
  cp "$OUT/bench/nerf.json" "$OUT/nerf.json"
  python3 - "$OUT/nerf.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
for name, c in d["curves"].items():
    pts = c["points"]
    print(f"{name:8} steps {c['steps']:6d} in {c['seconds']:6.1f} s, best {c['best_psnr']:.2f} dB, "
          f"stopped: {c['stopped']}; points: "
          + ", ".join(f"{p['seconds']:.0f}s={p['psnr']:.1f}" for p in pts[:: max(1, len(pts) // 12)]))
print(f"held-out PSNR (all views): {d['test_psnr']}, mean colour {d['mean_colour_psnr']:.2f} dB")
print(f"vanilla best {d['target_psnr']:.2f} dB at {d['vanilla_time_to_best_s']} s; "
      f"ours reached it at {d['ours_time_to_target_s']} s; ours to 30 dB: {d['ours_time_to_30db_s']} s")
print(f"ours PSNR at 30 s {d['ours_psnr_at_30s']}, at 60 s {d['ours_psnr_at_60s']}; "
      f"vanilla at 60 s {d['vanilla_psnr_at_60s']}; stats {d['stats']}")
print(f"HEADLINE RATIO {r['ratio']} (no ratio because: {r.get('no_ratio_because', '')})")
PY
fi

if [ "${NERF_SKIP_NOTEBOOK:-0}" != 1 ]; then
step "gpulab test notebooks/nerf.py --profile full"
timeout 200 gpulab test notebooks/nerf.py --profile full --report "$OUT/gpu-test"
step "notebook test exit status $?"
fi

if [ "${NERF_SKIP_BUDGET:-0}" != 1 ]; then
  step "the same under GPULAB_MEMORY_BUDGET=22GiB"
  GPULAB_MEMORY_BUDGET=22GiB timeout 200 gpulab test notebooks/nerf.py --profile full \
    --report "$OUT/gpu-test-budget"
  step "budget test exit status $?"
fi
step "done"
