"""The benchmark contract: what one `gpulab bench NAME` run measured, and its JSON report.

A benchmark runs ours against a peer in the same process on the same machine, so the ratio
compares like with like; GPU telemetry is sampled during the run and stored with the result.
Benchmarks themselves live in `gpulab.benchmarks` (which finds and runs them); this module is the
low layer they all build on.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpulab import profiles


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
    # Why no ratio is given, where one would mislead (a GPU benchmark on a machine without a GPU
    # compares the CPU with itself); the report then has `"ratio": null` and this reason.
    no_ratio_because: str = ""

    @property
    def ratio(self) -> float | None:
        """ours/peer oriented so that > 1 always means gpulab is better (None: see above)."""
        if self.no_ratio_because:
            return None
        if self.higher_is_better:
            return self.ours / self.peer_value if self.peer_value else float("inf")
        return self.peer_value / self.ours if self.ours else float("inf")


BenchFn = Callable[[str], BenchResult]


def measure(name: str, fn: BenchFn, profile: str) -> dict[str, Any]:
    """Run `fn(profile)` with telemetry sampling; the report as a JSON-ready dict."""
    profile = profiles.check(profile)
    from gpulab.device import probe
    from gpulab.telemetry import TelemetrySampler

    system = probe()
    started = time.perf_counter()
    with TelemetrySampler(interval_s=0.2) as sampler:
        result = fn(profile)
    seconds = time.perf_counter() - started
    return {
        "benchmark": name,
        "device": system.device_label,
        "metric": result.metric,
        "unit": result.unit,
        "higher_is_better": result.higher_is_better,
        "ours": result.ours,
        "peer": {"name": result.peer_name, "value": result.peer_value},
        "ratio": result.ratio,
        **({"no_ratio_because": result.no_ratio_because} if result.no_ratio_because else {}),
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


def write_report(report: dict[str, Any], out_dir: Path) -> Path:
    """Write `out_dir/<benchmark>.json`; the path is also stored in `report["path"]`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{report['benchmark']}.json"
    path.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    report["path"] = str(path)
    return path


def _json_default(value: object) -> object:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    return str(value)
