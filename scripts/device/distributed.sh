#!/usr/bin/env bash
# GPU proof for the distributed-training notebook: DDP and FSDP2 against one device, torchrun-launched.
#
# Runs, at world sizes 1, 2, 4, 8 up to torch.cuda.device_count() (one H200: world size 1 only):
#   1. `gpulab bench distributed --profile full`: a 12-layer x 768 GPT (86 M parameters, bytes of
#      the stdlib's source as text), 1024 tokens, global batch 32, bf16, 30 steps; single device,
#      DDP and FSDP2 per world size; samples/s, efficiency, peak memory per GPU, loss agreement,
#      the all-reduce probe (skipped at world size 1 with its reason). About 1 min per world size.
#   2. `gpulab test notebooks/multi_gpu_training.py --profile full` (the notebook's full profile:
#      world size 1 unless more are chosen), then the same under GPULAB_MEMORY_BUDGET=22GiB (the
#      suite accumulates smaller micro-batches, same global batch). About 1 min each.
# Expected total on one H200: about 3 minutes (caps: bench 60 s + 60 s per world size, 90 s
# per notebook run, so at most 5 minutes on one GPU). NVLink multicast stays off in every process.
#
# Run from the repo root:  bash scripts/device/distributed.sh
# Writes $OUT/distributed.json (commit as reports/bench/distributed.json), $OUT/gpu-test,
# $OUT/gpu-test-budget and $OUT/distributed.log. Needs the marimo wheels in .whl/ (setup.sh).
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/distributed.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh

gpus=$(python3 -c "import torch; print(torch.cuda.device_count())")
python3 -c "import torch; print('torch', torch.__version__, 'GPUs:', [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())], 'nccl', torch.cuda.nccl.version())"
nworlds=$(python3 -c "print(len([k for k in range(8) if 2**k <= $gpus]) + ($gpus & ($gpus - 1) != 0))")
step "bench at world sizes 1, 2, 4, ... up to $gpus"
timeout "${BENCH_TIMEOUT_S:-$((60 + 60 * nworlds))}" gpulab bench distributed --profile full --out "$OUT/bench"
cp "$OUT/bench/distributed.json" "$OUT/distributed.json" 2>/dev/null
python3 - "$OUT/distributed.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"ours {r['ours']:.1f} vs peer {r['peer']['value']:.1f} samples/s, ratio {r['ratio']}")
for row in r["details"]["scaling"]:
    eff = row["efficiency"]
    print(f"  {row['strategy']:6s} x{row['world']}: {row['samples_per_s']:9.1f} samples/s, "
          f"efficiency {'-' if eff is None else f'{100 * eff:.1f} %'}, peak {row['peak_gib_per_rank']} GiB")
for row in r["details"]["agreement"]:
    print(f"  agree {row['strategy']} x{row['world']}: {row['max_rel_diff']:.2e} <= {row['tolerance']}: {row['agrees']}")
print("  probes:", {k: v.get("bus_gb_per_s", v.get("reason")) for k, v in r["details"]["probes"].items()})
PY

worlds=$(python3 -c "print(','.join(str(n) for n in range(1, $gpus + 1)))")
step "notebook, full profile"
timeout 90 gpulab test notebooks/multi_gpu_training.py --profile full --report "$OUT/gpu-test"
step "notebook, full profile under a 22 GiB budget"
GPULAB_MEMORY_BUDGET=22GiB timeout 90 gpulab test notebooks/multi_gpu_training.py --profile full \
  --report "$OUT/gpu-test-budget"
step "done (world sizes $worlds benchmarked)"
