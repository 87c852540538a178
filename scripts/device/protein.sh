#!/usr/bin/env bash
# GPU proof for the protein-structure notebook (issue 20), on the H200.
#
# 1. `gpulab bench protein --profile full`: pairwise CA RMSD of 4096 ADK conformations (16.8 M
#    superpositions, float64) with our batched Kabsch on the GPU against biotite on the CPU
#    (8 rows), checked equal to 1e-4 Å; details.esmfold: the esmfold_v1 architecture with random
#    weights (3.5 B parameters, ESM-2 fp16, trunk fp32, chunk 64), s/structure and peak memory at
#    L = 100, 250, 500, 1000 (81 s on the H200).
# 2. `gpulab test notebooks/protein_structure.py --profile full` (about 2 minutes), and again under
#    GPULAB_MEMORY_BUDGET=22GiB (the 24 GiB card; the longest length that fits is reported).
#
# Run from the repo root:  bash scripts/device/protein.sh     (about 6 minutes on an H200)
# Writes $OUT/protein.json (commit as reports/bench/<gpu>/protein.json), $OUT/gpu-test,
# $OUT/gpu-test-budget and $OUT/protein.log.
# Wheels to carry in .whl/ (installed by setup.sh): biotite 2.x (cp312), biotraj, msgpack,
# anywidget, psygnal, ipywidgets, comm, traitlets, widgetsnbextension, jupyterlab_widgets,
# IPython and its own (ipywidgets imports it; the image has none: ipython, asttokens, executing,
# ipython_pygments_lexers, matplotlib_inline, pexpect, ptyprocess, prompt_toolkit, pure_eval,
# stack_data, wcwidth, pygments), and marimo with its own dependencies for the notebook runs.
# With the checkout that is just under the 64 MiB carry: leave out marimo's loro and docutils.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/protein.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

source scripts/device/setup.sh

python3 - <<'PY'
import torch, transformers
print(f"torch {torch.__version__} transformers {transformers.__version__}")
print("GPU:", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")
for name in ("biotite", "anywidget", "marimo"):
    try:
        print(name, __import__(name).__version__)
    except ImportError:
        print(name, "NOT INSTALLED")
PY

step "bench protein --profile full"
timeout ${BENCH_TIMEOUT_S:-170} gpulab bench protein --profile full --out "$OUT/bench"
step "bench exit status $?"
[ -f "$OUT/bench/protein.json" ] && cp "$OUT/bench/protein.json" "$OUT/protein.json" && python3 - "$OUT/protein.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = r["details"]
print(f"RMSD pairs/s ours {r['ours']:.3g} vs biotite {r['peer']['value']:.3g}: ratio {r['ratio']}, "
      f"max diff {d['max_abs_diff_angstrom']:.1e} Å")
for row in d["esmfold"]["rows"]:
    peak = row.get("peak_bytes")
    print(f"  ESMFold L={row['length']}: {row.get('seconds', float('nan')):.2f} s, "
          f"peak {peak / 2**30 if peak else float('nan'):.1f} GiB {row.get('note', '')}")
print("longest fit:", d["esmfold"]["longest_fit"])
PY

step "gpulab test --profile full"
timeout ${TEST_TIMEOUT_S:-200} gpulab test notebooks/protein_structure.py --profile full --report "$OUT/gpu-test"
step "test exit status $?"

step "gpulab test --profile full under a 22 GiB budget"
GPULAB_MEMORY_BUDGET=22GiB timeout ${TEST_TIMEOUT_S:-200} gpulab test notebooks/protein_structure.py --profile full \
  --report "$OUT/gpu-test-budget"
step "budget test exit status $?"
