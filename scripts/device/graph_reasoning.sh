#!/usr/bin/env bash
# GPU proof for the graph-reasoning dashboard: the benchmark and the notebook at full sizes.
#
# 1. `gpulab bench graph-reasoning --profile full`: 3 domains (causal, planning, knowledge graph,
#    1500 graphs each) x 3 models (hierarchical R-GCN, flat R-GCN, bag-of-relations MLP) x 3
#    seeds, 16 epochs, batch 256, on the GPU; per-domain test accuracy with 95 % intervals, ours
#    / best baseline, and training graphs/s of one step on the GPU vs the CPU at batches of
#    1024, 4096 and 16384 graphs.
# 2. `gpulab test notebooks/graph_reasoning_dashboard.py --profile full` (the same training
#    headless, plus cross-domain, checkpoints, export), then again under a 22 GiB memory budget.
# Measured on the H200: bench 119 s, each notebook run about 76 s, about 5 minutes in all; each
# step is capped (BENCH_TIMEOUT_S=270, TEST_TIMEOUT_S=120 each: 8.5 minutes at most).
#
# Run from the repo root:  bash scripts/device/graph_reasoning.sh
# Writes $OUT/graph-reasoning.json (commit as reports/bench/graph-reasoning.json),
# $OUT/gpu-test/, $OUT/gpu-test-budget/ and $OUT/graph_reasoning.log.
# Wheels: torch_geometric is on the host image; carry .whl/ with marimo (and, for the chart
# export only, vl_convert_python) and setup.sh installs them into /tmp/site.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/graph_reasoning.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

source scripts/device/setup.sh
# Checkpoints go under $XDG_CACHE_HOME/gpulab/graph_reasoning: outside the repository, and a
# fresh folder for each notebook run, so each trains from scratch (the bench uses a temp dir).

python3 - <<'PY'
import torch, torch_geometric
print(f"torch {torch.__version__} torch_geometric {torch_geometric.__version__}")
print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
PY

step "bench graph-reasoning, full"
timeout ${BENCH_TIMEOUT_S:-270} gpulab bench graph-reasoning --profile full --out "$OUT"
step "bench exit status $?"
if [ -f "$OUT/graph-reasoning.json" ]; then
  python3 - "$OUT/graph-reasoning.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
for domain, v in d["per_domain"].items():
    print(f"{domain:16} ours {v['ours']:.3f} ±{v['ours_ci95']:.3f}  {v['best_baseline']} "
          f"{v['baseline']:.3f} ±{v['baseline_ci95']:.3f}  ratio {v['ratio']:.3f}  "
          f"separated {v['separated']}")
t = d["throughput"]
for row in t["by_batch"]:
    cpu = (f"CPU {row['cpu_graphs_per_s']:8.0f} graphs/s ({row['cpu_threads']} threads)"
           if "cpu_graphs_per_s" in row else f"CPU not timed: {row.get('cpu_skipped')}")
    print(f"  batch {row['batch']:6}: GPU {row.get('gpu_graphs_per_s', 0):9.0f}  {cpu}")
print(f"train graphs/s at each one's best batch: GPU {t.get('gpu_graphs_per_s', 0):.0f} "
      f"(batch {t.get('gpu_batch')})  CPU {t['cpu_graphs_per_s']:.0f} (batch {t['cpu_batch']}, "
      f"{t['cpu_threads']} threads)  GPU/CPU {t.get('gpu_over_cpu')}")
print("every model:", json.dumps(d["summary"])[:4000])
print(f"HEADLINE ours {r['ours']:.3f} vs {r['peer']['value']:.3f} RATIO {r['ratio']}")
PY
fi

step "notebook, full profile"
export XDG_CACHE_HOME=$(mktemp -d /tmp/gpulab-graph-reasoning-cache.XXXX)  # train afresh
timeout ${TEST_TIMEOUT_S:-120} gpulab test notebooks/graph_reasoning_dashboard.py --profile full \
  --report "$OUT/gpu-test"
step "notebook exit status $?"
step "notebook, full profile, 22 GiB budget"
export XDG_CACHE_HOME=$(mktemp -d /tmp/gpulab-graph-reasoning-cache.XXXX)  # train afresh
GPULAB_MEMORY_BUDGET=22GiB timeout ${TEST_TIMEOUT_S:-120} gpulab test \
  notebooks/graph_reasoning_dashboard.py --profile full --report "$OUT/gpu-test-budget"
step "budget exit status $?"
rm -rf /tmp/gpulab-graph-reasoning-cache.*
step "done"
