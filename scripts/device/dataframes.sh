#!/usr/bin/env bash
# GPU proof for the dataframes issue: install cuDF from carried wheel parts, check it works, run
# `gpulab bench dataframes --profile full` (10^7 rows, all five engines), print per-op figures.
#
# Prerequisite: the parts made by scripts/device/split_wheels.sh are in /tmp/parts on the GPU
# host, copied there by the calls before this one (each carries one .parts/partNN); parts carried
# in this call are picked up too. Run from the repo root:  bash scripts/device/dataframes.sh
# Writes $OUT/dataframes.json (the report to commit as reports/bench/<gpu>/dataframes.json) and
# $OUT/dataframes.log. DATAFRAMES_NOTEBOOK=1 (carry .whl too) runs the notebook's full profile
# through `gpulab test` instead of the bench and writes $OUT/gpu-test/.
# Runs alone: it puts scripts/device/numpy_compat (np.row_stack for the host's numba-cuda) on
# PYTHONPATH itself. No wheels beyond the carried cuDF parts.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpulab-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/dataframes.log") 2>&1
start=$(date +%s)
step() { echo "== [$(($(date +%s) - start)) s] $*"; }

# PYTHONPATH (/tmp/site, src/), the gpulab command, PYTHONUNBUFFERED
source scripts/device/setup.sh
# The host's numba-cuda 0.30.4 calls np.row_stack, which numpy 2.5 removed, so `import cudf`
# fails there. scripts/device/numpy_compat/sitecustomize.py aliases it to np.vstack at every
# interpreter start (this script's checks, the bench, and its cudf.pandas worker, which inherits
# PYTHONPATH).
case ":${PYTHONPATH:-}:" in
  *":$PWD/scripts/device/numpy_compat:"*) ;;
  *) export PYTHONPATH="$PWD/scripts/device/numpy_compat${PYTHONPATH:+:$PYTHONPATH}" ;;
esac
echo "PYTHONPATH=$PYTHONPATH"

PARTS=/tmp/parts
mkdir -p "$PARTS"
for dir in .parts/part*; do
  [ -d "$dir" ] || continue
  for part in "$dir"/*; do  # copy parts not there yet (portable `cp --update=none`)
    [ -e "$part" ] && [ ! -e "$PARTS/$(basename "$part")" ] && cp "$part" "$PARTS"/
  done
done

if [ ! -f /tmp/site/.gpulab-cudf-installed ]; then
  step "reassembling the cuDF wheels"
  expected=$(cat "$PARTS"/cudf-wheels.count 2>/dev/null || echo "?")
  have=$(ls "$PARTS"/cudf-wheels.tar.?? 2>/dev/null | wc -l)
  if [ "$have" != "$expected" ]; then
    echo "FAILED: $have of $expected parts in $PARTS:"; ls -la "$PARTS"
    echo "Copy the missing .parts/partNN with earlier calls (the machine must stay warm)."
    exit 3
  fi
  cat "$PARTS"/cudf-wheels.tar.?? > /tmp/cudf-wheels.tar
  (cd /tmp && sha256sum -c "$PARTS"/cudf-wheels.sha256) || { echo "FAILED: checksum"; exit 4; }
  rm -rf /tmp/cudf-wheels && mkdir -p /tmp/cudf-wheels
  tar -C /tmp/cudf-wheels -xf /tmp/cudf-wheels.tar && rm -f /tmp/cudf-wheels.tar

  step "choosing wheels against the host's versions"
  # Carried wheels the host already satisfies are skipped (one version of each package).
  selection=$(python3 - <<'EOF'
import importlib.metadata as md
import pathlib
from packaging.version import Version

def version(*names):
    for name in names:
        try:
            return Version(md.version(name))
        except md.PackageNotFoundError:
            pass
    return None

skip = set()
numba_cuda = version("numba-cuda")
if numba_cuda is not None and Version("0.22.2") <= numba_cuda < Version("0.31"):
    skip.add("numba_cuda")  # cudf 26.10 pins numba-cuda >=0.22.2,<0.31
jitlink = version("nvidia-nvjitlink", "nvidia-nvjitlink-cu13")
if jitlink is not None and jitlink >= Version("13.3"):
    skip.add("nvidia_nvjitlink")  # libcudf 26.10 pins nvidia-nvjitlink >=13.3
for name, need in [("pandas", ">=3.0,<3.1"), ("numpy", "<3"), ("pyarrow", ">=19"),
                   ("cupy-cuda13x", ">=14.0.1"), ("cuda-bindings", ">=13.0.1,<14"),
                   ("numba", "(cudf pins <0.65; numpy 2.5 rules out older numba)")]:
    print(f"# host {name} {version(name)} (cudf wants {need})")
print(f"# host numba-cuda {numba_cuda}, nvidia-nvjitlink {jitlink}")
for wheel in sorted(pathlib.Path("/tmp/cudf-wheels").glob("*.whl")):
    if wheel.name.split("-")[0] not in skip:
        print(wheel)
EOF
)
  echo "$selection" | grep '^#'
  wheels=$(echo "$selection" | grep -v '^#')
  echo "installing: $(echo "$wheels" | xargs -n1 basename | tr '\n' ' ')"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site $wheels || { echo "FAILED: pip install"; exit 5; }
  touch /tmp/site/.gpulab-cudf-installed
fi

# libcudf needs nvJitLink >= 13.3; torch's is 13.0. Load the carried one first so that
# cuda-pathfinder (which cuDF asks) finds it already loaded.
JITLINK=/tmp/site/nvidia/cu13/lib/libnvJitLink.so.13
if [ -f "$JITLINK" ]; then
  export LD_PRELOAD="$JITLINK${LD_PRELOAD:+:$LD_PRELOAD}"
  echo "LD_PRELOAD=$LD_PRELOAD"
fi

step "checking cuDF, cudf.pandas and the polars GPU engine"
python3 - <<'EOF'
import cudf
print("cudf", cudf.__version__, "Series([1,2]).sum() =", int(cudf.Series([1, 2]).sum()))
try:
    import polars as pl

    q = pl.DataFrame({"a": [1, 2, 3]}).lazy().select(pl.col("a").sum())
    engine = pl.GPUEngine(raise_on_fail=True, executor="in-memory")
    print("polars", pl.__version__, "GPU sum =", q.collect(engine=engine).item())
except Exception as err:  # the bench records the engine as failed; keep going
    print("polars GPU engine check FAILED:", type(err).__name__, err)
EOF
[ $? -eq 0 ] || echo "cuDF check FAILED (the bench will record why the GPU engines did not run)"

if [ -n "${DATAFRAMES_NOTEBOOK:-}" ]; then
  # The notebook's own full run instead of the bench (carry .whl for marimo). The report folder
  # starts from the committed matrix so this row merges into it.
  step "gpulab test notebooks/dataframe_benchmark.py --profile full"
  rm -rf /tmp/gpu-test && cp -r reports/gpu-test /tmp/gpu-test
  timeout 480 gpulab test notebooks/dataframe_benchmark.py --profile full --report /tmp/gpu-test
  echo "notebook test exit status $?"
  mkdir -p "$OUT/gpu-test/logs"
  cp /tmp/gpu-test/report.json /tmp/gpu-test/report.md "$OUT/gpu-test/"
  cp /tmp/gpu-test/logs/*dataframe_benchmark*full.log "$OUT/gpu-test/logs/" 2>/dev/null
  step "done"
  exit 0
fi

step "gpulab bench dataframes --profile full (10^7 rows)"
# Narrow the engines for a retry with e.g. GPULAB_DATAFRAMES_ENGINES=pandas,polars,cudf.pandas,polars-gpu
timeout 480 gpulab bench dataframes --profile full --out "$OUT"
echo "bench exit status $?"

step "figures"
# Per-op medians and ratios, each GPU result's device->host time (µs resolution) or why it has
# none, CPU fallbacks in words: gpulab.workloads.dataframes.figures (tested on CPU).
python3 - "$OUT/dataframes.json" <<'EOF'
import json
import sys

from gpulab.workloads.dataframes import figures

print(figures(json.load(open(sys.argv[1]))))
EOF
step "done"
