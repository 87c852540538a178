#!/usr/bin/env bash
# Fetch (here, where PyPI is reachable) the wheels that cuDF, cudf.pandas and the polars GPU engine
# need on the GPU host, and split them into parts of at most 55 MiB: one device call carries at
# most 64 MiB with the working tree, and libcudf alone is ~300 MB.
#
#   bash scripts/device/split_wheels.sh          # -> .whl-cudf/*.whl, .parts/partNN/
#
# Both folders must be ignored by git (the script adds them to .git/info/exclude). The GPU host
# already has what the rest of cuDF's requirements ask for (numpy 2.5, pandas 3.0.6, pyarrow 25,
# cupy-cuda13x 14.2, cuda-bindings 13.3, numba 0.68, nvrtc 13.0, nvidia-ml-py): those are not
# carried. See scripts/device/dataframes.sh for the other half.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHEELS=(
  libcudf-cu13==26.10.2          # libcudf.so (~300 MB)
  pylibcudf-cu13==26.10.2
  cudf-cu13==26.10.2             # cudf and cudf.pandas
  librmm-cu13==26.10.0
  rmm-cu13==26.10.0
  libkvikio-cu13==26.10.0
  kvikio-cu13==26.10.0           # imported by cudf-polars
  rapids-logger==0.3.0
  nvidia-libnvcomp-cu13==5.3.0.16  # libcudf links libnvcomp.so.5
  nvidia-nvjitlink==13.3.33      # libcudf 26.10 pins >= 13.3; torch's cuda-toolkit 13.0.2 has 13.0
  nvtx==0.2.17
  cachetools==7.0.6
  numba-cuda==0.30.4             # cudf pins <0.31; installed only if the host's is out of range
  cudf-polars-cu13==26.10.2      # polars GPU engine (in-memory executor: no rapidsmpf needed)
  polars==1.44.2                 # cudf-polars 26.10 pins polars <1.45
  polars-runtime-32==1.44.2
)
# Deliberately not carried: numba-cuda-mlir (71 MB, only cuDF's rolling-apply UDFs import it),
# rapidsmpf / cudf-streaming (only the streaming executor), pandas/numpy/pyarrow/cupy (host has).

WHEEL_DIR=.whl-cudf
PARTS=.parts
PART_BYTES=$((${PART_MIB:-55} * 1024 * 1024))  # PART_MIB=50 if the working tree grows past ~8 MiB
for ignored in "/$WHEEL_DIR/" "/$PARTS/"; do
  grep -qxF "$ignored" .git/info/exclude 2>/dev/null || echo "$ignored" >> .git/info/exclude
done

mkdir -p "$WHEEL_DIR"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
  --platform manylinux_2_24_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux_2_12_x86_64 \
  --platform manylinux2010_x86_64 --platform any -d "$WHEEL_DIR" "${WHEELS[@]}"

# The exact files for the pinned names (the folder may hold other downloads).
files=()
for spec in "${WHEELS[@]}"; do
  name=${spec%%==*}; version=${spec##*==}
  stem=$(echo "$name" | tr '-' '_')
  match=$(ls "$WHEEL_DIR"/"$stem"-"$version"-*.whl 2>/dev/null | head -1)
  [ -n "$match" ] || { echo "missing wheel for $spec" >&2; exit 1; }
  files+=("$(basename "$match")")
done

rm -rf "$PARTS"
mkdir -p "$PARTS/tmp"
tar -C "$WHEEL_DIR" -cf "$PARTS/tmp/cudf-wheels.tar" "${files[@]}"
(cd "$PARTS/tmp" && split -b "$PART_BYTES" -d -a 2 cudf-wheels.tar cudf-wheels.tar.)
count=$(ls "$PARTS"/tmp/cudf-wheels.tar.?? | wc -l)
sum=$(sha256sum "$PARTS/tmp/cudf-wheels.tar" | cut -d' ' -f1)
i=0
for chunk in "$PARTS"/tmp/cudf-wheels.tar.??; do
  i=$((i + 1))
  dir=$(printf "%s/part%02d" "$PARTS" "$i")
  mkdir -p "$dir"
  mv "$chunk" "$dir/"
  printf "%s  cudf-wheels.tar\n" "$sum" > "$dir/cudf-wheels.sha256"
  echo "$count" > "$dir/cudf-wheels.count"
done
rm -rf "$PARTS/tmp"

echo "wheels (${#files[@]}):"
for f in "${files[@]}"; do printf "  %10d  %s\n" "$(stat -c %s "$WHEEL_DIR/$f")" "$f"; done
total=0
for f in "${files[@]}"; do total=$((total + $(stat -c %s "$WHEEL_DIR/$f"))); done
echo "total $total bytes ($((total / 1024 / 1024)) MiB) in $count parts:"
du -b "$PARTS"/part*/cudf-wheels.tar.* | awk '{printf "  %10d  %s\n", $1, $2}'
