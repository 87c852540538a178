"""How long `gpulab lint` takes on 12 notebooks (goal: under 5 s). A benchmark, not a test.

    python benchmarks/lint_speed.py            # the project's notebooks, topped up with fixtures
    python benchmarks/lint_speed.py a.py b/    # or any notebooks you name

Prints the wall and CPU time of one `gpulab lint` process (interpreter start, marimo import,
parsing, every rule) and, separately, the in-process time per notebook once marimo is loaded.
On a busy shared machine the wall time stretches; the CPU time is the figure that does not.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    ROOT / "notebooks",
    ROOT / "src" / "gpulab" / "templates",
    ROOT / "tests" / "fixtures" / "lint" / "third_party",
    ROOT / "tests" / "fixtures" / "lint" / "clean",
    ROOT / "tests" / "fixtures" / "lint" / "rules",
]
COUNT = 12


def pick_notebooks(count: int = COUNT) -> list[Path]:
    """The largest notebooks first: the project's own, then the fixtures."""
    picked: list[Path] = []
    for source in SOURCES:
        found = sorted(source.rglob("*.py"), key=lambda p: p.stat().st_size, reverse=True)
        picked.extend(p for p in found if "marimo.App(" in p.read_text(encoding="utf-8"))
    return picked[:count]


def main(argv: list[str]) -> int:
    notebooks = [Path(arg) for arg in argv] if argv else pick_notebooks()
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in notebooks if p.is_file())
    command = [sys.executable, "-m", "gpulab.cli", "lint", "--no-config", "--format", "json"]

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*command, *map(str, notebooks)], capture_output=True, check=False)
    cold = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cold_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    from gpulab.qa.lint.engine import LintOptions, lint_paths

    lint_paths(notebooks[:1], LintOptions(use_config=False))  # import and warm marimo once
    start = time.perf_counter()
    report = lint_paths(notebooks, LintOptions(use_config=False))
    warm = time.perf_counter() - start

    print(f"notebooks: {len(notebooks)} ({lines} lines), findings: {len(report.findings)}")
    print(f"gpulab lint, one process: {cold:.2f} s wall, {cold_cpu:.2f} s CPU (goal < 5 s)")
    print(
        f"in process, marimo loaded: {warm:.2f} s ({warm / max(len(notebooks), 1) * 1e3:.0f} ms per notebook)"
    )
    return 0 if cold < 5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
