#!/usr/bin/env bash
# GPU proof for the inference-ladder issue: `gpulab bench inference --profile full` on the H100.
#
# ResNet-50 (64 x 3 x 224 x 224) and BERT-base (64 x 128 tokens), random weights (calibrated),
# every rung: eager IEEE FP32 -> TF32 -> bf16 (+ fp16) -> channels-last / SDPA -> torch.compile
# -> CUDA graphs, plus ONNX Runtime (the host's onnxruntime is CPU-only: that rung runs on the CPU
# and says so; onnxruntime-fp16 is skipped for want of a GPU provider) and TensorRT (torch-tensorrt
# is not installable there: reported as skipped, unverified). max-autotune is opt-in
# (GPULAB_INFERENCE_MAX_AUTOTUNE=1; it compiles ResNet-50 for 318 s, BERT-base for 138 s) and is
# reported as skipped without it. Prints one ladder table per model (rung, p50/p99 ms, samples/s, speed-up vs
# eager FP32, precision-matched speed-up, step speed-up, compile s, peak MiB, relative error,
# top-1 agreement, verified) and the headline: best verified ResNet-50 rung / eager FP32.
#
# Run from the repo root:  bash scripts/device/inference.sh     (about 2-3 minutes on an H100)
# Writes $OUT/inference.json (commit as reports/bench/<gpu>/inference.json) and $OUT/inference.log.
#
# With max-autotune the two ladders outlast one 10-minute device call, so run one model a call:
#   GPULAB_INFERENCE_MAX_AUTOTUNE=1 GPULAB_INFERENCE_MODELS=resnet50 bash scripts/device/inference.sh
#   GPULAB_INFERENCE_MAX_AUTOTUNE=1 GPULAB_INFERENCE_MODELS=bert-base bash scripts/device/inference.sh
# (writes $OUT/inference-resnet50.json, $OUT/inference-bert-base.json), then join them with
#   python3 scripts/device/merge_inference.py inference-resnet50.json inference-bert-base.json \
#       -o reports/bench/h100/inference.json
# No extra wheels: torch, transformers, onnx, onnxscript, onnxruntime are on the host.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
tag=${GPULAB_INFERENCE_MODELS:+-${GPULAB_INFERENCE_MODELS//,/-}}
exec > >(tee "$OUT/inference$tag.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

python3 - <<'EOF'
import onnxruntime, torch, transformers
print(f"torch {torch.__version__} transformers {transformers.__version__} "
      f"onnxruntime {onnxruntime.__version__} providers {onnxruntime.get_available_providers()}")
print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
      "bf16:", torch.cuda.is_available() and torch.cuda.is_bf16_supported())
try:
    import torch_tensorrt
    print("torch-tensorrt", torch_tensorrt.__version__)
except ImportError:
    print("torch-tensorrt: not installed (the TensorRT rung will say so)")
EOF

step "full ladder(s) ${GPULAB_INFERENCE_MODELS:-resnet50,bert-base}, batch 64, max-autotune: ${GPULAB_INFERENCE_MAX_AUTOTUNE:-off}"
timeout ${BENCH_TIMEOUT_S:-560} gpulab bench inference --profile full --out "$OUT/bench"
rc=$?
step "bench exit status $rc"

if [ -f "$OUT/bench/inference.json" ]; then
  cp "$OUT/bench/inference.json" "$OUT/inference$tag.json"
  python3 - "$OUT/inference$tag.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
print(f"device: {r['device']}  torch {r['system']['torch']}  bench wall time {r['seconds']:.0f} s")
for model, ladder in d["ladders"].items():
    print(f"\n{ladder['model']} ({ladder['weights']}), {ladder['input']}: best verified rung "
          f"{ladder['best_verified']}"
          + (f", {ladder['best_vs_tf32']:.2f}x the tf32 rung"
             if "best_vs_tf32" in ladder else ""))
    for rung in ladder["rungs"]:
        if rung["status"] != "ok":
            print(f"  {rung['rung']:16} {rung['status']}: {rung['reason']}")
            continue
        drift = rung["drift"] or {}
        matched = rung["speedup_matched"]
        matched = f"x{matched:.2f}" if matched else "-"
        print(f"  {rung['rung']:16} {rung['precision']:5} p50 {rung['p50_ms']:8.3f} ms "
              f"p99 {rung['p99_ms']:8.3f} ms {rung['samples_per_s']:10.1f} samples/s  "
              f"x{rung['speedup_vs_fp32']:.2f} vs fp32, {matched} matched, "
              f"rel.err {drift.get('relative_error_max', float('nan')):.1e}  "
              f"verified {rung['verified']}  n={rung['repeats']}  [{rung['backend']}]")
print(f"\nTensorRT: {d['tensorrt']}")
print(f"HEADLINE {d['headline']}: {r['ours']:.1f} vs {r['peer']['value']:.1f} samples/s "
      f"= RATIO {r['ratio']:.2f}x")
EOF
else
  echo "no report written (bench exit status $rc): see the ladder tables above"
fi
step "done"
