"""What a ladder measured: one RungResult per rung, and the LadderResult that ranks them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from gpulab.timing import Timing
from gpulab.workloads.inference.config import LadderConfig
from gpulab.workloads.inference.drift import Drift


@dataclass
class RungResult:
    """One rung's measurements, or why it has none."""

    rung: str
    status: str  # ok | failed | skipped
    reason: str = ""
    changes: str = ""
    precision: str = ""
    backend: str = ""
    device: str = ""  # where the timed work ran: cuda or cpu
    builds_on: str | None = None  # the rung this one adds its change to
    baseline: str | None = None  # the eager rung of the same precision
    setup_s: float | None = None  # export, session creation, capture: before the first call
    first_call_s: float | None = None  # includes compilation for compiled rungs
    latencies_ms: list[float] = field(default_factory=list)
    p10_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    samples_per_s: float | None = None  # batch / median latency
    peak_memory_mib: float | None = None  # torch's allocator during the timed calls
    drift: Drift | None = None
    verified: bool = False
    speedup_vs_fp32: float | None = None
    speedup_matched: float | None = None
    speedup_step: float | None = None
    timing: Timing | None = field(default=None, repr=False)  # the timed calls, with their spread

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def noisy(self) -> bool:
        """True when the slowest timed calls are far above the median (see `Timing.noisy`)."""
        return self.timing is not None and self.timing.noisy

    def record_timing(self, timing: Timing) -> None:
        """Keep the timed calls: every latency, the percentiles, the throughput at the median."""
        self.timing = timing
        self.latencies_ms = [s * 1000 for s in timing.samples_s]
        self.p10_ms = timing.p10_s * 1000
        self.p50_ms = timing.median_s * 1000
        self.p90_ms = timing.p90_s * 1000
        self.p99_ms = timing.p99_s * 1000
        self.samples_per_s = timing.throughput

    def noise_note(self) -> str:
        """'' for a clean timing, else the warning that belongs beside its figures."""
        return self.timing.noise_note() if self.timing is not None else ""

    def spread(self) -> str:
        """The median latency per batch with its p10-p90 spread and the noisy flag; '-' if none."""
        return self.timing.spread() if self.timing is not None else "-"

    @property
    def compile_s(self) -> float | None:
        """Everything before steady state: setup plus the first call."""
        if self.first_call_s is None:
            return None
        return (self.setup_s or 0.0) + self.first_call_s

    def to_dict(self, latencies: bool = True) -> dict[str, Any]:
        data = asdict(replace(self, timing=None))
        del data["timing"]
        data["noisy"] = self.noisy
        data["noise"] = self.noise_note()
        data["compile_s"] = self.compile_s
        data["repeats"] = len(self.latencies_ms)
        if not latencies:
            data.pop("latencies_ms")
        return data


@dataclass
class LadderResult:
    config: LadderConfig
    model_label: str
    weights_label: str
    device: str
    rungs: list[RungResult]

    def get(self, name: str) -> RungResult | None:
        return next((r for r in self.rungs if r.rung == name), None)

    def require_reference(self) -> None:
        """Raise when eager-fp32 did not measure: without it no rung can be checked or compared."""
        eager = self.get("eager-fp32")
        if eager is None or not eager.ok:
            why = eager.reason if eager is not None else "not run"
            raise RuntimeError(
                f"{self.model_label}: the eager-fp32 reference failed ({why}), so no rung can be "
                "checked against it or compared with it"
            )

    def best_verified(self) -> RungResult | None:
        """The fastest rung whose output matched the FP32 reference within its threshold."""
        candidates = [r for r in self.rungs if r.ok and r.verified and r.samples_per_s]
        return max(candidates, key=lambda r: r.samples_per_s or 0.0, default=None)

    def table(self) -> list[dict[str, Any]]:
        """One flat row per rung, for a dataframe or a printed table."""
        return [
            {
                "rung": r.rung,
                "status": r.status if r.ok else f"{r.status}: {r.reason}",
                "precision": r.precision,
                "backend": r.backend,
                "p50 ms": r.p50_ms,
                "p90 ms": r.p90_ms,
                "p99 ms": r.p99_ms,
                "samples/s": r.samples_per_s,
                "vs eager fp32": r.speedup_vs_fp32,
                "precision-matched": r.speedup_matched,
                "this step": r.speedup_step,
                "compile s": r.compile_s,
                "peak MiB": r.peak_memory_mib,
                "max |diff|": r.drift.max_abs_diff if r.drift else None,
                "rel. error": r.drift.relative_error_max if r.drift else None,
                "cosine (worst)": r.drift.cosine_min if r.drift else None,
                "top-1 agree": r.drift.top1_agreement if r.drift else None,
                "verified": r.verified,
            }
            for r in self.rungs
        ]

    def to_dict(self, latencies: bool = False) -> dict[str, Any]:
        best = self.best_verified()
        return {
            "model": self.model_label,
            "weights": self.weights_label,
            "device": self.device,
            "input": self.config.input_label,
            "batch": self.config.batch,
            "fast_precision": self.config.fast_precision,
            "best_verified": best.rung if best else None,
            "rungs": [r.to_dict(latencies) for r in self.rungs],
        }
