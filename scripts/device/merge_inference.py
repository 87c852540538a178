"""Join `gpulab bench inference` reports that each ran some ladders into one report.

    python3 scripts/device/merge_inference.py inference-resnet50.json inference-bert-base.json \
        -o reports/bench/h100/inference.json

The ResNet-50 run carries the headline; see `gpulab.benchmarks.inference.merge_reports`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gpulab.benchmarks.inference import merge_reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args()
    merged = merge_reports([json.loads(path.read_text()) for path in args.reports])
    args.out.write_text(json.dumps(merged, indent=2) + "\n")
    ladders = merged["details"]["ladders"]
    print(f"{args.out}: ladders {', '.join(ladders)}; ratio {merged['ratio']:.2f}")


if __name__ == "__main__":
    main()
