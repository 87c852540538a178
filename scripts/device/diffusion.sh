#!/usr/bin/env bash
# GPU proof for the Stable Diffusion issue, in one call (about 4-5 minutes on an H200; the
# timeouts below cap it at 5):
#
# 1. `gpulab bench diffusion --profile full` (~170 s): SD 1.5's architecture from configs (random
#    weights: speed only), 512 x 512, 50 PNDM steps, guidance 7.5, batch 1, fp16. The ladder:
#    diffusers default (SDPA) -> channels_last -> fused QKV -> torch.compile reduce-overhead of
#    the UNet and VAE decoder (compile ~60-90 s of it) -> max-autotune (skipped unless
#    GPULAB_DIFFUSION_MAX_AUTOTUNE=1: many minutes), TensorRT (torch-tensorrt is not on the host:
#    "not installed — unverified"), lossy apart: DeepCache (interval 3), DPM-Solver++ 20 steps,
#    tiny VAE (random TAESD). Images/s at batch 8 for the default and the fused-QKV rung. Prints
#    each rung's s/image, it/s, speed-up, compile s, peak MiB, PSNR / max abs diff vs the default.
# 2. `gpulab test notebooks/stable_diffusion.py --profile full` (~60 s): the notebook headless,
#    512 x 512, 25 steps, batch 1 (the bench's shapes: inductor compiles from the cache the bench
#    filled), generation + seed check + the ladder.
# 3. The same with GPULAB_MEMORY_BUDGET=22GiB (~60 s): sized for a 24 GiB card.
#
# Run from the repo root:  bash scripts/device/diffusion.sh      (carry .whl, see below)
# The three parts fit 5 minutes only just (three compiles); to split them over two calls:
#   PARTS=bench bash scripts/device/diffusion.sh;  PARTS=test,budget bash scripts/device/diffusion.sh
# Writes $OUT/diffusion.json (commit as reports/bench/<gpu>/diffusion.json), $OUT/gpu-test/ and
# $OUT/gpu-test-budget/ (gpulab test reports: merge into reports/gpu-test) and $OUT/diffusion.log.
# Wheels in .whl/ (installed by setup.sh into /tmp/site): diffusers-0.42.1-py3-none-any.whl,
# lazy_importer-0.1.0, importlib_metadata, zipp, DeepCache-0.1.1 (all py3-none-any), plus
# marimo/altair and their dependencies as for the other notebooks. diffusers 0.42 needs
# huggingface-hub >= 1.32: the host's version is printed first.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/diffusion.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED; carried wheels
source scripts/device/setup.sh
export HF_HUB_OFFLINE=1
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
python3 - <<'PY'
import importlib.metadata as md
for name in ("torch", "diffusers", "transformers", "huggingface-hub", "DeepCache", "pillow"):
    try:
        print(f"{name} {md.version(name)}")
    except md.PackageNotFoundError:
        print(f"{name}: not installed")
PY

PARTS=${PARTS:-bench,test,budget}
want() { [[ ",$PARTS," == *",$1,"* ]]; }

if want bench; then
step "1. bench diffusion --profile full (512 x 512, 50 steps, batch 1)"
timeout ${BENCH_TIMEOUT_S:-175} gpulab bench diffusion --profile full --out "$OUT/bench"
step "bench exit status $?"
if [ -f "$OUT/bench/diffusion.json" ]; then
  cp "$OUT/bench/diffusion.json" "$OUT/diffusion.json"
  python3 - "$OUT/diffusion.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
print(f"device {r['device']}  dtype {d['dtype']}  params {d['parameters_m']}  wall {r['seconds']:.0f} s")
for x in d["rungs"]:
    if x["status"] != "ok":
        print(f"  {x['rung']:14} {x['status']}: {x['reason']}")
        continue
    drift = x["drift"] or {}
    print(f"  {x['rung']:14} {x['s_per_image']:.3f} s/img  {x['it_per_s']:6.1f} it/s  "
          f"x{x['speedup'] or 0:.2f}  compile {x['compile_s'] or 0:.1f} s  "
          f"peak {x['peak_mib'] or 0:.0f} MiB  PSNR {drift.get('psnr_db')}  "
          f"maxdiff {drift.get('max_abs_diff')}  verified {x['verified']}")
print("throughput:", {k: round(v["images_per_s"], 2) for k, v in d["throughput"].items()})
print(f"HEADLINE best lossless {d['best_lossless']}  best lossy {d['best_lossy']}  "
      f"RATIO {r['ratio']}")
PY
fi
fi

if want test; then
step "2. gpulab test notebooks/stable_diffusion.py --profile full"
gpulab test notebooks/stable_diffusion.py --profile full --timeout ${TEST_TIMEOUT_S:-62} \
  --report "$OUT/gpu-test"
step "test exit status $?"
fi

if want budget; then
step "3. the same under a 22 GiB budget"
GPULAB_MEMORY_BUDGET=22GiB gpulab test notebooks/stable_diffusion.py --profile full \
  --timeout ${TEST_TIMEOUT_S:-62} --report "$OUT/gpu-test-budget"
step "budget test exit status $?"
fi
step "done"
