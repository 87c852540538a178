"""What a ladder run produced: one row per rung, the images it made, the headline rungs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gpulab.timing import Timing

from .drift import LOSSLESS_PSNR_DB, Drift


@dataclass
class RungResult:
    rung: str
    label: str
    lossy: bool
    status: str = "ok"  # ok | skipped | failed
    reason: str = ""
    steps: int = 0
    batch: int = 1
    builds_on: str = ""
    timing: Timing | None = None
    first_call_s: float | None = None
    compile_s: float | None = None
    peak_mib: float | None = None
    drift: Drift | None = None
    images: Any = None  # numpy (batch, h, w, 3) from the first call, for the gallery and drift
    throughput: dict[str, Any] | None = None  # images/s at the throughput batch, where measured

    @property
    def ran(self) -> bool:
        return self.status == "ok" and self.timing is not None

    @property
    def s_per_image(self) -> float | None:
        return self.timing.median_s / self.batch if self.ran else None

    @property
    def it_per_s(self) -> float | None:
        return self.steps / self.timing.median_s if self.ran else None

    @property
    def verified(self) -> bool | None:
        """Lossless rungs: images within LOSSLESS_PSNR_DB of the default's; lossy: None."""
        if self.lossy or self.drift is None:
            return None
        return self.drift.identical or self.drift.psnr_db >= LOSSLESS_PSNR_DB

    def to_dict(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "label": self.label,
            "lossy": self.lossy,
            "status": self.status,
            "reason": self.reason,
            "steps": self.steps,
            "batch": self.batch,
            "builds_on": self.builds_on,
            "s_per_image": self.s_per_image,
            "it_per_s": self.it_per_s,
            "first_call_s": self.first_call_s,
            "compile_s": self.compile_s,
            "peak_mib": self.peak_mib,
            "drift": self.drift.to_dict() if self.drift else None,
            "verified": self.verified,
            "timing": self.timing.to_dict() if self.timing else None,
            "throughput": self.throughput,
        }


@dataclass
class LadderResult:
    device: str
    dtype: str
    model: str
    random_weights: bool
    config: dict[str, Any]
    rungs: list[RungResult] = field(default_factory=list)
    seed_check: Drift | None = None
    memory_savers: tuple[str, ...] = ()
    parameters_m: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def rung(self, name: str) -> RungResult | None:
        return next((r for r in self.rungs if r.rung == name), None)

    @property
    def default(self) -> RungResult | None:
        return self.rung("default")

    def best(self, lossy: bool) -> RungResult | None:
        """The fastest rung that ran: lossless ones only when verified against the default."""
        ran = [r for r in self.rungs if r.ran and r.lossy == lossy]
        if not lossy:
            ran = [r for r in ran if r.verified]
        return min(ran, key=lambda r: r.s_per_image or float("inf"), default=None)

    def speedup(self, rung: RungResult) -> float | None:
        base = self.default
        if base is None or not base.ran or not rung.ran:
            return None
        return base.s_per_image / rung.s_per_image

    def to_dict(self) -> dict[str, Any]:
        best, lossy = self.best(False), self.best(True)
        return {
            "device": self.device,
            "dtype": self.dtype,
            "model": self.model,
            "random_weights": self.random_weights,
            "rungs": [r.to_dict() | {"speedup": self.speedup(r)} for r in self.rungs],
            "best_lossless": best.rung if best else None,
            "best_lossy": lossy.rung if lossy else None,
            "seed_check": self.seed_check.to_dict() if self.seed_check else None,
            "memory_savers": list(self.memory_savers),
            "parameters_m": self.parameters_m,
            "seconds": self.seconds,
            "config": self.config,
        }
