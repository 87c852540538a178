#!/usr/bin/env bash
# Fetch (here, where PyPI is reachable) the wheels the Triton server environment needs on the
# GPU host (cp312, manylinux x86_64), and split them into parts of at most 55 MiB: one device
# call carries at most 64 MiB with the working tree, and nvidia-pytriton alone is ~53 MiB.
#
#   bash scripts/device/serving_wheels.sh     # -> .whl-serving/*.whl, .parts-serving/partNN/
#
# Carry one .parts-serving/partNN per call (they stay on the host between calls); serving.sh
# joins them into .whl-serving and builds the venv offline from it (--no-index --find-links).
# NOT .whl/: setup.sh installs that folder into the main environment, and numpy 1.26 there
# would replace the host's numpy 2.
set -euo pipefail
cd "$(dirname "$0")/../.."

WHEEL_DIR=.whl-serving
PARTS=.parts-serving
PART_BYTES=$((${PART_MIB:-55} * 1024 * 1024))
for ignored in "/$WHEEL_DIR/" "/$PARTS/"; do
  grep -qxF "$ignored" .git/info/exclude 2>/dev/null || echo "$ignored" >> .git/info/exclude
done

# numpy 1.26.4 and nvidia-pytriton 0.7.0 with every dependency they pull (tritonclient[all],
# grpcio, protobuf, pyzmq, ...), resolved for Python 3.12 on manylinux x86_64.
rm -rf "$WHEEL_DIR"
mkdir -p "$WHEEL_DIR"
python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_35_x86_64 --platform manylinux_2_28_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
  -d "$WHEEL_DIR" numpy==1.26.4 nvidia-pytriton==0.7.0

# Whole wheels, largest first, into parts of at most PART_BYTES (nvidia-pytriton, ~53 MiB, fills
# the first one alone): no wheel is split, so the host only copies them together.
rm -rf "$PARTS"
part=0 used=$PART_BYTES
while read -r size file; do
  if [ $((used + size)) -gt "$PART_BYTES" ]; then
    part=$((part + 1)) used=0
    mkdir -p "$(printf "%s/part%02d" "$PARTS" "$part")"
  fi
  cp "$WHEEL_DIR/$file" "$(printf "%s/part%02d" "$PARTS" "$part")/"
  used=$((used + size))
done < <(cd "$WHEEL_DIR" && stat -c "%s %n" *.whl | sort -rn)
count=$part
for dir in "$PARTS"/part*; do echo "$count" > "$dir/serving-wheels.count"; done
ls "$WHEEL_DIR" > "$PARTS/part01/serving-wheels.list"

echo "wheels:"
for f in "$WHEEL_DIR"/*.whl; do printf "  %10d  %s\n" "$(stat -c %s "$f")" "$(basename "$f")"; done
echo "total $(du -sb "$WHEEL_DIR" | cut -f1) bytes in $count part(s) under $PARTS/"
