"""One measurement's result: a matmul's TFLOPS or a copy's GB/s, with its ceiling and why it was
skipped. `row()` is the flat table row a notebook shows; `to_dict()` what a report stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab.telemetry import ClockReport


@dataclass
class MatmulResult:
    """Throughput of an n×n @ n×n product in one number format on one device."""

    dtype: str
    size: int
    device: str
    tflops: float | None = None  # at the median call time
    tflops_best: float | None = None  # at the fastest call
    peak_tflops: float | None = None  # datasheet dense peak for this format
    timing: dict[str, Any] | None = None
    skipped: str | None = None
    is_cpu_peer: bool = False  # the CPU reference a GPU's figures are compared with
    clocks: ClockReport | None = None  # the GPU's clock, power and slowdowns while it ran

    @property
    def pct_of_peak(self) -> float | None:
        return pct(self.tflops, self.peak_tflops)

    def row(self) -> dict[str, Any]:
        """A flat table row: what a notebook shows and a report stores."""
        return {
            "test": f"{'CPU peer ' if self.is_cpu_peer else ''}matmul {self.dtype}",
            "size": f"{self.size}³",
            "device": self.device,
            "value": significant(self.tflops),
            "unit": "TFLOPS",
            "pct_of_datasheet": significant(self.pct_of_peak, 3),
            "datasheet": self.peak_tflops,
            "note": self.skipped or (self.clocks.describe() if self.clocks else ""),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pct_of_peak": self.pct_of_peak}


@dataclass
class BandwidthResult:
    """GB/s of one kind of copy: 'device copy', 'host copy', 'h2d' or 'd2h'."""

    kind: str
    device: str
    buffer_mib: int
    bytes_per_call: int  # bytes counted as moved by one call (the `bandwidth` module says how)
    pinned: bool | None = None  # host transfers only
    gbs: float | None = None
    gbs_best: float | None = None
    peak_gbs: float | None = None
    peak_name: str | None = None  # what the peak is: the datasheet, the PCIe link
    timing: dict[str, Any] | None = None
    skipped: str | None = None

    @property
    def pct_of_peak(self) -> float | None:
        return pct(self.gbs, self.peak_gbs)

    @property
    def label(self) -> str:
        if self.pinned is None:
            return self.kind
        return f"{self.kind} {'pinned' if self.pinned else 'pageable'}"

    def row(self) -> dict[str, Any]:
        return {
            "test": self.label,
            "size": f"{self.buffer_mib} MiB",
            "device": self.device,
            "value": significant(self.gbs),
            "unit": "GB/s",
            "pct_of_datasheet": significant(self.pct_of_peak, 3),
            "datasheet": self.peak_gbs,
            "note": self.skipped or (self.peak_name or ""),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pct_of_peak": self.pct_of_peak, "label": self.label}


Result = MatmulResult | BandwidthResult


def pct(value: float | None, peak: float | None) -> float | None:
    """`value` as a percentage of `peak`; None when either is unknown."""
    if value is None or not peak:
        return None
    return 100.0 * value / peak


def significant(value: float | None, digits: int = 4) -> float | None:
    """Significant digits, so 0.0021 TFLOPS (a small CPU matmul) does not print as 0.0."""
    return None if value is None else float(f"{value:.{digits}g}")
