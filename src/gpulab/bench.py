"""The benchmark contract: `gpulab bench NAME` runs ours against a peer and writes one JSON.

A benchmark is a module `gpulab.benchmarks.NAME` with a docstring and `run(profile) -> BenchResult`.
Both sides run in the same process on the same machine, so the ratio compares like with like; GPU
telemetry is sampled during the run and stored with the result.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import pkgutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpulab.errors import UsageError

PROFILES = ("smoke", "full")
DEFAULT_OUT = Path("reports/bench")


@dataclass
class BenchResult:
    """What one benchmark measured: our value, the peer's, and everything behind them."""

    metric: str
    ours: float
    peer_name: str
    peer_value: float
    unit: str = ""
    higher_is_better: bool = True
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """ours/peer oriented so that > 1 always means gpulab is better."""
        if self.higher_is_better:
            return self.ours / self.peer_value if self.peer_value else float("inf")
        return self.peer_value / self.ours if self.ours else float("inf")


BenchFn = Callable[[str], BenchResult]
_extra: dict[str, BenchFn] = {}


def register(name: str, fn: BenchFn) -> None:
    """Register a benchmark defined outside `gpulab.benchmarks` (plugins, tests)."""
    _extra[name] = fn


def available() -> dict[str, str]:
    """Benchmark name -> one-line description."""
    import gpulab.benchmarks as package

    names = {
        info.name: _first_line(importlib.import_module(f"{package.__name__}.{info.name}").__doc__)
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    }
    names.update({name: _first_line(fn.__doc__) for name, fn in _extra.items()})
    return dict(sorted(names.items()))


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0] if doc and doc.strip() else ""


def resolve(name: str) -> BenchFn:
    if name in _extra:
        return _extra[name]
    names = available()
    if name not in names:
        known = ", ".join(names) or "none"
        raise UsageError(f"unknown benchmark {name!r} (known: {known})")
    return importlib.import_module(f"gpulab.benchmarks.{name}").run


def run_benchmark(name: str, profile: str = "full", out_dir: Path = DEFAULT_OUT) -> dict[str, Any]:
    """Run one benchmark with telemetry sampling; write and return its report."""
    if profile not in PROFILES:
        raise UsageError(f"unknown profile {profile!r} (choose from {', '.join(PROFILES)})")
    fn = resolve(name)
    from gpulab.device import probe
    from gpulab.telemetry import TelemetrySampler

    system = probe()
    started = time.perf_counter()
    with TelemetrySampler(interval_s=0.2) as sampler:
        result = fn(profile)
    seconds = time.perf_counter() - started
    report = {
        "benchmark": name,
        "device": system.device_label,
        "metric": result.metric,
        "unit": result.unit,
        "higher_is_better": result.higher_is_better,
        "ours": result.ours,
        "peer": {"name": result.peer_name, "value": result.peer_value},
        "ratio": result.ratio,
        "profile": profile,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "details": result.details,
        "telemetry": {str(gpu): s.to_dict() for gpu, s in sampler.summary().items()},
        "system": {
            "driver": system.driver_version,
            "cuda_driver": system.cuda_driver_version,
            "torch": system.torch_version,
            "torch_cuda": system.torch_cuda_version,
            "python": system.python_version,
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    report["path"] = str(path)
    return report


def _json_default(value: object) -> object:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="benchmark to run (omit with --list)")
    parser.add_argument("--profile", choices=PROFILES, default="full")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.add_argument("--list", action="store_true", help="list registered benchmarks")


def run(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        for name, doc in available().items():
            print(f"{name:14} {doc}")
        return 0 if args.list else 2
    report = run_benchmark(args.name, args.profile, args.out)
    print(
        f"{report['benchmark']} on {report['device']}: {report['metric']} ours={report['ours']:.4g} "
        f"{report['peer']['name']}={report['peer']['value']:.4g} ratio={report['ratio']:.2f} "
        f"-> {report['path']}"
    )
    return 0
