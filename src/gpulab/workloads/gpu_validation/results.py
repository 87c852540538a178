"""One measurement's result: a matmul's TFLOPS or a copy's GB/s, with its spread, its ceiling and
why it was skipped. `row()` is the flat numeric row a chart draws and a report stores;
`table_row()` what a notebook's table shows, every figure through `format_rate`, so a stat card
and a table print the same figure with the same digits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from gpulab.telemetry import ClockReport

RATE_DIGITS = 4  # significant digits of every rate shown: 0.1399 TFLOPS, 791.5 TFLOPS


class _Rate:
    """A measured rate against its ceiling; each result names both as `value` and `peak`."""

    @property
    def value(self) -> float | None:
        raise NotImplementedError

    @property
    def peak(self) -> float | None:
        raise NotImplementedError

    @property
    def pct_of_peak(self) -> float | None:
        return pct(self.value, self.peak)


@dataclass
class MatmulResult(_Rate):
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
    noise: str = ""  # `Timing.noise_note()`: '' for a clean timing

    unit = "TFLOPS"

    @property
    def value(self) -> float | None:
        return self.tflops

    @property
    def test(self) -> str:
        return f"{'CPU peer ' if self.is_cpu_peer else ''}matmul {self.dtype}"

    @property
    def peak(self) -> float | None:
        return self.peak_tflops

    def row(self) -> dict[str, Any]:
        """A flat numeric row: what a chart draws and a report stores."""
        return numeric_row(self, f"{self.size}³", self.clocks.describe() if self.clocks else "")

    def table_row(self) -> dict[str, str]:
        return table_row(self, f"{self.size}³")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pct_of_peak": self.pct_of_peak}


@dataclass
class BandwidthResult(_Rate):
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
    noise: str = ""  # `Timing.noise_note()`: '' for a clean timing

    unit = "GB/s"

    @property
    def value(self) -> float | None:
        return self.gbs

    @property
    def label(self) -> str:
        if self.pinned is None:
            return self.kind
        return f"{self.kind} {'pinned' if self.pinned else 'pageable'}"

    @property
    def test(self) -> str:
        return self.label

    @property
    def peak(self) -> float | None:
        return self.peak_gbs

    def row(self) -> dict[str, Any]:
        return numeric_row(self, f"{self.buffer_mib} MiB", self.peak_name or "")

    def table_row(self) -> dict[str, str]:
        return table_row(self, f"{self.buffer_mib} MiB")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pct_of_peak": self.pct_of_peak, "label": self.label}


Result = MatmulResult | BandwidthResult


def pct(value: float | None, peak: float | None) -> float | None:
    """`value` as a percentage of `peak`; None when either is unknown."""
    if value is None or not peak:
        return None
    return 100.0 * value / peak


def significant(value: float | None, digits: int = RATE_DIGITS) -> float | None:
    """Significant digits, so 0.0021 TFLOPS (a small CPU matmul) does not print as 0.0."""
    return None if value is None else float(f"{value:.{digits}g}")


def format_rate(value: float | None, digits: int = RATE_DIGITS) -> str:
    """A rate with `digits` significant digits and no exponent: '0.1399', '791.5', '3,012'."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def rate_spread(result: Result) -> tuple[float, float] | None:
    """(rate at the p90 call time, rate at the p10 call time): the slow and fast ends of the
    middle 80 % of the timed calls; None for a result without a timing."""
    timing = result.timing
    if not timing or not timing.get("work_per_call"):
        return None
    work = timing["work_per_call"]
    return work / timing["p90_s"], work / timing["p10_s"]


def describe_spread(result: Result) -> str:
    """'0.1201-0.1450 · 40 runs': the rate's p10-p90 range over the timed calls; '' if none."""
    spread = rate_spread(result)
    if spread is None or result.timing is None:
        return ""
    low, high = (format_rate(v) for v in spread)
    return f"{low}-{high} · {result.timing['repeats']} runs"


def describe_value(result: Result) -> str:
    """'0.1399 TFLOPS', with '(noisy)' beside it when the timing was noisy; '-' when skipped."""
    if result.value is None:
        return "-"
    return f"{format_rate(result.value)} {result.unit}" + (" (noisy)" if result.noise else "")


def numeric_row(result: Result, size: str, note: str) -> dict[str, Any]:
    """A result's flat numeric row (`row()`); `note` stands where it was not skipped."""
    return {
        "test": result.test,
        "size": size,
        "device": result.device,
        "value": significant(result.value),
        "unit": result.unit,
        "pct_of_datasheet": significant(result.pct_of_peak, 3),
        "datasheet": result.peak,
        "note": result.skipped or note,
    }


def table_row(result: Result, size: str) -> dict[str, str]:
    """What a notebook's table shows for one result: short columns, rates as `format_rate`."""
    share = result.pct_of_peak
    peak = result.peak
    return {
        "test": result.test,
        "size": size,
        "median": describe_value(result),
        "p10-p90": describe_spread(result),
        "of ceiling": f"{share:.1f} % of {format_rate(peak)}" if share is not None else "",
        "note": result.skipped or result.noise,
    }
