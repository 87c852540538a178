#!/usr/bin/env bash
# GPU proof for the PINN issue: Burgers rel. L2 at a fixed wall-time budget, ours vs Raissi et al.
#
# 1. `gpulab bench pinn --profile full`: our best set-up (4 x 20 tanh, hard initial/boundary
#    conditions, fp64 dense self-scaled BFGS from the start with points added near the shock
#    every 300 iterations, N_f = 5,000 growing to at most 40,000) and the Raissi set-up
#    (9 x 20 tanh, N_u = 100, N_f = 10,000, fp64 L-BFGS), 120 s of training each on the GPU,
#    both judged against Cole–Hopf on the 256 x 100 grid: about 4.5 minutes.
# 2. `gpulab test notebooks/physics_informed_nn.py --profile full` (45 s of Burgers training and
#    seven 7 s comparison runs: about 1.5 minutes) into $OUT/gpu-test.
# 3. The same under GPULAB_MEMORY_BUDGET=22GiB into $OUT/gpu-test-budget (about 1.5 minutes;
#    skip it with PINN_SKIP_BUDGET=1).
# Total about 7 minutes. No extra wheels: torch and numpy are on the host; marimo and altair
# come from the lead's carried .whl/ (installed by setup.sh).
#
# Run from the repo root:  bash scripts/device/pinn.sh
# Writes $OUT/pinn.json (commit as reports/bench/pinn.json), $OUT/pinn.log, $OUT/gpu-test*.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/pinn.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

python3 -c "import torch; print('torch', torch.__version__, 'GPU:', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none')"

step "bench pinn --profile full (120 s per side)"
timeout ${BENCH_TIMEOUT_S:-330} gpulab bench pinn --profile full --out "$OUT/bench"
step "bench exit status $?"
if [ -f "$OUT/bench/pinn.json" ]; then
  cp "$OUT/bench/pinn.json" "$OUT/pinn.json"
  python3 - "$OUT/pinn.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
for side in ("ours", "raissi"):
    s = d[side]
    print(f"{side:7} rel.L2 {s['rel_l2']:.3e}  {s['seconds']:.0f} s  Adam {s['adam_steps']}  "
          f"{s.get('optimizer', 'lbfgs')} {s['lbfgs_iterations']}  points {s['collocation']}  {s['warning'] or s['stopped']}")
print(f"HEADLINE ratio (Raissi error / ours) = {r['ratio']}")
PY
fi

step "notebook, full profile"
timeout 200 gpulab test notebooks/physics_informed_nn.py --profile full --report "$OUT/gpu-test"
step "notebook exit status $?"

if [ -z "${PINN_SKIP_BUDGET:-}" ]; then
  step "notebook, full profile under GPULAB_MEMORY_BUDGET=22GiB"
  GPULAB_MEMORY_BUDGET=22GiB timeout 200 gpulab test notebooks/physics_informed_nn.py \
    --profile full --report "$OUT/gpu-test-budget"
  step "budget notebook exit status $?"
fi
step "done"
