"""Merge a device run's `gpulab test` rows (and logs) into the committed matrix.

python3 scripts/device/merge_matrix.py FROM_REPORT_DIR reports/gpu-test
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gpulab.qa.runner import report


def main(source: Path, target: Path) -> None:
    rows = report.load(source)
    report.write(target, rows)
    for folder in ("logs", "screenshots"):
        if (source / folder).is_dir():
            shutil.copytree(source / folder, target / folder, dirs_exist_ok=True)
    for row in rows:
        print(f"{row['status']:8} {row['device']} · {row['profile']}  {row['notebook']}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
