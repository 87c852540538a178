#!/usr/bin/env bash
# GPU proof for the serving issue: a real Triton server (PyTriton 0.7.0, tritonserver 2.51)
# serving bf16 ResNet-50, BERT-base and an MLP with and without dynamic batching, load-tested.
#
#   1. gpulab bench serving --profile full --out $OUT       (ResNet-50 alone, about 40 s)
#   2. gpulab test notebooks/inference_serving.py --profile full --report $OUT/gpu-test
#      (three models, concurrency 1..64 and two rates, faults; about 100 s)
#   3. the same under GPULAB_MEMORY_BUDGET=22GiB into $OUT/gpu-test-budget (about 100 s)
# Expected total: about 4-5 minutes, including building the server venv offline (about 30 s).
#
# Needs the server wheels carried as .parts-serving/partNN (see serving_wheels.sh); they are
# joined into .whl-serving here and the venv is built from them with --no-index. No marimo
# on the host: carry its wheel (and gpulab's test deps) in .whl/ as for the other notebooks.
# Writes $OUT/serving.json, $OUT/gpu-test*/, $OUT/serving.log.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/serving.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

if [ ! -d .whl-serving ] && [ -f .parts-serving/part01/serving-wheels.count ]; then
  step "joining the carried server wheels"
  want=$(cat .parts-serving/part01/serving-wheels.count)
  have=$(ls -d .parts-serving/part* | wc -l)
  [ "$have" = "$want" ] || { echo "have $have of $want wheel parts: carry the rest"; exit 1; }
  mkdir -p .whl-serving && cp .parts-serving/part*/*.whl .whl-serving/
  for wheel in $(cat .parts-serving/part01/serving-wheels.list); do
    [ -f ".whl-serving/$wheel" ] || { echo "missing $wheel"; exit 1; }
  done
fi
export GPULAB_SERVING_WHEELS=$PWD/.whl-serving
export GPULAB_SERVING_ENV=/tmp/gpulab-serving-env

step "server environment (offline from $GPULAB_SERVING_WHEELS)"
python3 -m gpulab.workloads.serving.env || exit 1
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"

step "gpulab bench serving --profile full"
timeout 150 gpulab bench serving --profile full --out "$OUT"

step "gpulab test notebooks/inference_serving.py --profile full"
timeout 200 gpulab test notebooks/inference_serving.py --profile full --report "$OUT/gpu-test"

step "the same under GPULAB_MEMORY_BUDGET=22GiB"
GPULAB_MEMORY_BUDGET=22GiB timeout 200 gpulab test notebooks/inference_serving.py \
  --profile full --report "$OUT/gpu-test-budget"

step "leftover servers (none expected)"
pgrep -af "gpulab.workloads.serving.server_main|tritonserver" || echo "none"
step "done"
