"""How long `gpulab lint` takes on many notebooks (goals: 12 in under 5 s, 200 in under 15 s).
A benchmark, not a test.

    python benchmarks/lint_speed.py              # 12 notebooks: the project's own, then fixtures
    python benchmarks/lint_speed.py --count 200  # 200: public notebooks, copied N times
    python benchmarks/lint_speed.py --count 200 --corpus DIR   # public notebooks from DIR
    python benchmarks/lint_speed.py a.py b/      # or any notebooks you name

The public notebooks are the tutorials the installed marimo ships, or a folder you name.

Prints the wall and CPU time of one `gpulab lint` process (interpreter start, marimo import,
parsing, every rule; many files are split across the CPUs, `GPULAB_LINT_JOBS=1` keeps them in
one process) and, separately, the in-process time per notebook once marimo is loaded. On a busy
shared machine the wall time stretches; the CPU time is the figure that does not.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
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
GOALS = {12: 5.0, 200: 15.0}


def pick_notebooks(count: int, sources: list[Path] = SOURCES) -> list[Path]:
    """The largest notebooks first: the project's own, then the fixtures."""
    picked: list[Path] = []
    for source in sources:
        found = sorted(source.rglob("*.py"), key=lambda p: p.stat().st_size, reverse=True)
        picked.extend(p for p in found if "marimo.App(" in p.read_text(encoding="utf-8"))
    return picked[:count]


def copies(notebooks: list[Path], count: int, folder: Path) -> list[Path]:
    """`count` notebook files in `folder`, repeating `notebooks` (a file is linted once however
    often it is named, so each repeat is a copy of its own)."""
    out = []
    for index in range(count):
        source = notebooks[index % len(notebooks)]
        target = folder / f"{index:04d}_{source.name}"
        shutil.copyfile(source, target)
        out.append(target)
    return out


def measure(notebooks: list[Path], goal: float) -> int:
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

    from gpulab.qa.lint.parallel import workers_for

    per_notebook = warm / max(len(notebooks), 1) * 1e3
    print(f"notebooks: {len(notebooks)} ({lines} lines), findings: {len(report.findings)}")
    print(f"worker processes: {workers_for(len(notebooks))}")
    print(f"gpulab lint, one process: {cold:.2f} s wall, {cold_cpu:.2f} s CPU (goal < {goal:g} s)")
    print(f"in process, marimo loaded: {warm:.2f} s ({per_notebook:.0f} ms per notebook)")
    return 0 if cold < goal else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks to lint instead")
    parser.add_argument("--count", type=int, default=12, help="how many notebooks (default 12)")
    parser.add_argument(
        "--goal", type=float, help="seconds allowed (default: 5 for 12, 15 for 200)"
    )
    parser.add_argument(
        "--corpus", type=Path, help="folder of public notebooks (default: marimo's tutorials)"
    )
    args = parser.parse_args(argv)
    goal = args.goal or GOALS.get(args.count, args.count * 15.0 / 200)
    if args.paths:
        return measure(args.paths, goal)
    if args.count <= 12:
        return measure(pick_notebooks(args.count), goal)
    import marimo

    folder = args.corpus or Path(marimo.__file__).parent / "_tutorials"
    corpus = pick_notebooks(10_000, [folder])  # public notebooks: the sizes users write
    with tempfile.TemporaryDirectory() as folder:
        return measure(copies(corpus, args.count, Path(folder)), goal)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
