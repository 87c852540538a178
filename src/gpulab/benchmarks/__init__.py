"""Registered benchmarks: each module here is `gpulab bench <module name>`.

A module has a docstring (its first line is the description) and `run(profile: str) -> BenchResult`
that measures gpulab's way against what a user would otherwise use, in the same run. It is a thin
adapter: the workload's config for the profile, the peer, and the figures for the report.
This package finds and runs them; the contract they return is `gpulab.bench`.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

from gpulab.bench import BenchFn, measure, write_report
from gpulab.errors import UsageError

# Not reports/bench/: that folder holds the committed GPU reports, which a local run (a CPU smoke
# run above all) must not overwrite. Device runs name it with --out.
DEFAULT_OUT = Path("reports/bench-local")
_extra: dict[str, BenchFn] = {}


def register(name: str, fn: BenchFn) -> None:
    """Register a benchmark defined outside `gpulab.benchmarks` (plugins, tests)."""
    _extra[name] = fn


def unregister(name: str) -> None:
    _extra.pop(name, None)


def available() -> dict[str, str]:
    """Benchmark name -> one-line description."""
    names = {
        public_name(info.name): _first_line(
            importlib.import_module(f"{__name__}.{info.name}").__doc__
        )
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    }
    names.update({name: _first_line(fn.__doc__) for name, fn in _extra.items()})
    return dict(sorted(names.items()))


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def public_name(module: str) -> str:
    """`gpulab bench graph-reasoning` runs the module `graph_reasoning`: names use dashes."""
    return module.replace("_", "-")


def resolve(name: str) -> BenchFn:
    if name in _extra:
        return _extra[name]
    names = available()
    if public_name(name) not in names:
        known = ", ".join(names) or "none"
        raise UsageError(f"unknown benchmark {name!r} (known: {known})")
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}").run


def require_cuda_for_full(profile: str, name: str, what: str) -> None:
    """Refuse a full benchmark where torch sees no CUDA GPU, naming the smoke command instead.

    `what` says what the full run does on the GPU: "measures PageRank on a CUDA GPU".
    """
    from gpulab import profiles

    if profiles.check(profile) != profiles.FULL:
        return
    import torch

    if not torch.cuda.is_available():
        raise UsageError(
            f"the full {name} benchmark {what} and torch sees none; "
            f"run `gpulab bench {name} --profile smoke` on this machine"
        )


def run_benchmark(name: str, profile: str = "full", out_dir: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Run one benchmark with telemetry sampling; write and return its report."""
    from gpulab import profiles

    profile = profiles.check(profile)
    run = resolve(name)
    report = measure(name if name in _extra else public_name(name), run, profile)
    write_report(report, out_dir)
    return report
