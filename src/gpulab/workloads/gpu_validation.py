"""Is this GPU as fast as its datasheet says? Matmul TFLOPS, memory and PCIe bandwidth, measured.

Everything here is timed through `gpulab.timing.benchmark` (CUDA events on a GPU: the time the GPU
spent, not the time Python took to queue the work) after a warm-up that lets cuBLAS pick its kernel
and the clocks ramp up. How many repeats is decided by time, not by a fixed count: a first short
probe estimates one call, then the measurement runs for about `measure_s` seconds (at least
`min_repeats` calls), so a 16384³ fp32 matmul and a 2048³ fp16 one are both measured over enough
calls for a stable median.

Windows are kept short on purpose: they measure the rate at the clocks a GPU holds when a load
starts, which is what a datasheet peak describes. Under minutes of dense load a data-centre GPU
settles at a lower clock within its power limit; that sustained rate is what the stress test
(`gpulab.stress`) reports, next to the power-cap throttle reason that explains the difference.

What each number counts:
- matmul: 2·n³ floating-point operations per n×n @ n×n product (one multiply and one add per term),
  on random normal data (zeros would let the tensor cores draw less power and clock higher);
- device copy: `dst.copy_(src)` reads and writes every byte, so bytes moved = 2 × buffer size (the
  STREAM "copy" convention, and what the datasheet bandwidth is a ceiling for);
- host transfers: bytes moved once over PCIe per call, pinned (page-locked, DMA straight from the
  buffer) vs pageable (the driver first copies through a staging buffer).

Percentages are of the dense datasheet peak (`gpulab.datasheet`) and, for transfers, of the PCIe
link NVML reports (generation × width); both are ceilings, never results.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from gpulab import nvml
from gpulab.datasheet import Datasheet
from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.telemetry import ClockReport, ClockWatch
from gpulab.timing import Timing, benchmark

# Measured in this order: the headline format first, on a GPU no earlier measurement has heated.
DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
MIB = 2**20


@dataclass(frozen=True)
class ValidationConfig:
    """What to measure and for how long; `for_profile` gives the smoke and full settings."""

    dtypes: tuple[str, ...] = DTYPES
    sizes: tuple[int, ...] = (2048, 4096, 8192, 12288, 16384)
    copy_mib: int = 2048  # device buffer copied device -> device
    transfer_mib: int = 512  # host buffer sent over PCIe each way
    cpu_size: int = 2048  # the CPU peer's matmul size
    warmup_s: float = 0.15  # discarded calls: kernel selection, clocks ramping up
    measure_s: float = 0.3  # timed calls per measurement, in seconds of work
    min_repeats: int = 10
    max_repeats: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [d for d in self.dtypes if d not in DTYPES]
        if unknown:
            raise ValueError(f"unknown dtype(s) {unknown}; choose from {', '.join(DTYPES)}")
        if not self.sizes or min(self.sizes) < 1:
            raise ValueError(f"matmul sizes must be positive, got {self.sizes}")
        if self.copy_mib < 1 or self.transfer_mib < 1 or self.cpu_size < 1:
            raise ValueError("buffer sizes and the CPU matmul size must be positive")
        if self.min_repeats < 1 or self.max_repeats < self.min_repeats:
            raise ValueError("need 1 <= min_repeats <= max_repeats")

    @classmethod
    def for_profile(cls, profile: str) -> ValidationConfig:
        """'smoke': tiny sizes that finish in seconds on a CPU; 'full': sizes for a data-centre GPU."""
        if profile == "smoke":
            return cls(
                sizes=(64, 128),
                copy_mib=8,
                transfer_mib=8,
                cpu_size=128,
                warmup_s=0.02,
                measure_s=0.05,
                min_repeats=3,
            )
        if profile == "full":
            return cls()
        raise ValueError(f"unknown profile {profile!r}")


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
        return _pct(self.tflops, self.peak_tflops)

    def row(self) -> dict[str, Any]:
        """A flat table row: what a notebook shows and a report stores."""
        return {
            "test": f"{'CPU peer ' if self.is_cpu_peer else ''}matmul {self.dtype}",
            "size": f"{self.size}³",
            "device": self.device,
            "value": _round(self.tflops),
            "unit": "TFLOPS",
            "pct_of_datasheet": _round(self.pct_of_peak, 3),
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
    bytes_per_call: int  # bytes counted as moved by one call (see the module docstring)
    pinned: bool | None = None  # host transfers only
    gbs: float | None = None
    gbs_best: float | None = None
    peak_gbs: float | None = None
    peak_name: str | None = None  # what the peak is: the datasheet, the PCIe link
    timing: dict[str, Any] | None = None
    skipped: str | None = None

    @property
    def pct_of_peak(self) -> float | None:
        return _pct(self.gbs, self.peak_gbs)

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
            "value": _round(self.gbs),
            "unit": "GB/s",
            "pct_of_datasheet": _round(self.pct_of_peak, 3),
            "datasheet": self.peak_gbs,
            "note": self.skipped or (self.peak_name or ""),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pct_of_peak": self.pct_of_peak, "label": self.label}


Result = MatmulResult | BandwidthResult


@dataclass
class Step:
    """One measurement the notebook's progress bar (or the benchmark) runs."""

    label: str
    run: Callable[[], Result]


@dataclass
class Peaks:
    """Ceilings the measurements are compared with; None where unknown."""

    datasheet: Datasheet | None = None
    pcie_gbs: float | None = None
    pcie_name: str | None = None


def device_choices() -> dict[str, str]:
    """Label -> torch device for every CUDA device, or the CPU when there is none."""
    torch = _torch()
    if not torch.cuda.is_available():
        return {"CPU (no CUDA GPU visible)": "cpu"}
    return {
        f"cuda:{i} · {torch.cuda.get_device_name(i)}": f"cuda:{i}"
        for i in range(torch.cuda.device_count())
    }


def peaks_for(device: Any) -> Peaks:
    """The datasheet of `device`'s GPU model and its PCIe link's ceiling (empty on CPU)."""
    if not _is_cuda(device):
        return Peaks()
    from gpulab.datasheet import datasheet_for
    from gpulab.topology import probe_topology

    sheet = datasheet_for(_torch().cuda.get_device_name(device))
    index = _nvml_index(device)
    gpus = probe_topology().gpus
    match = next((g for g in gpus if index is not None and g.index == index), None)
    if match is None and len(gpus) == 1:
        match = gpus[0]
    link = match.pcie if match else None
    if link is None or link.peak_gbs is None:
        return Peaks(datasheet=sheet)
    return Peaks(datasheet=sheet, pcie_gbs=link.peak_gbs, pcie_name=link.label)


def _pct(value: float | None, peak: float | None) -> float | None:
    if value is None or not peak:
        return None
    return 100.0 * value / peak


def _round(value: float | None, digits: int = 4) -> float | None:
    """Significant digits, so 0.0021 TFLOPS (a small CPU matmul) does not print as 0.0."""
    return None if value is None else float(f"{value:.{digits}g}")


def _torch() -> Any:
    import torch

    return torch


def _is_cuda(device: Any) -> bool:
    return str(device).startswith("cuda")


def _nvml_index(device: Any) -> int | None:
    """NVML's index for a CUDA device (for its clocks); None on the CPU."""
    if not _is_cuda(device):
        return None
    torch = _torch()
    index = torch.device(device).index
    return nvml.index_for_torch_device(torch.cuda.current_device() if index is None else index)


def unsupported_reason(dtype: str, device: Any) -> str | None:
    """Why `dtype` cannot be measured on `device` (None when it can)."""
    torch = _torch()
    if not _is_cuda(device):
        if dtype in ("tf32", "fp8"):
            return f"{dtype} is a tensor-core format: CUDA GPUs only"
        return None
    capability = torch.cuda.get_device_capability(device)
    needs = {"tf32": (8, 0), "bf16": (8, 0), "fp8": (8, 9)}
    if dtype in needs and capability < needs[dtype]:
        need = ".".join(map(str, needs[dtype]))
        have = ".".join(map(str, capability))
        return f"{dtype} needs compute capability >= {need}; this GPU has {have}"
    if dtype == "fp8" and not hasattr(torch, "_scaled_mm"):
        return "this torch has no fp8 matmul (torch._scaled_mm)"
    return None


@contextmanager
def tf32_matmuls(enabled: bool) -> Iterator[None]:
    """Let fp32 matmuls use TF32 tensor cores (10-bit mantissa) inside the block, then restore.

    fp32 and tf32 take the same fp32 tensors; only this switch differs, which is why they are
    measured separately: most 'fp32' training on Ampere+ actually runs in TF32.
    """
    matmul = _torch().backends.cuda.matmul
    before = matmul.allow_tf32
    matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        matmul.allow_tf32 = before


def _measure(
    fn: Callable[[], object], device: Any, work: float, unit: str, config: ValidationConfig
) -> Timing:
    """Probe one call, then warm up for `warmup_s` and time `measure_s` worth of calls."""
    timing_device = device if _is_cuda(device) else None
    probe = benchmark(fn, warmup=1, repeats=3, device=timing_device)
    per_call = max(probe.median_s, 1e-7)
    warmup = min(1000, max(2, math.ceil(config.warmup_s / per_call)))
    repeats = min(
        config.max_repeats, max(config.min_repeats, math.ceil(config.measure_s / per_call))
    )
    return benchmark(
        fn, warmup=warmup, repeats=repeats, work_per_call=work, unit=unit, device=timing_device
    )


def _random_matrices(dtype: str, size: int, device: Any, seed: int) -> tuple[Any, Any, Any]:
    """a, b (random normal) and a preallocated output c, in the storage `dtype` computes on."""
    torch = _torch()
    generator = torch.Generator(device=device).manual_seed(seed)
    storage = {"fp32": torch.float32, "tf32": torch.float32, "fp16": torch.float16}
    make = storage.get(dtype, torch.bfloat16)  # bf16, and fp8's source values
    a = torch.randn(size, size, generator=generator, device=device, dtype=make)
    b = torch.randn(size, size, generator=generator, device=device, dtype=make)
    if dtype == "fp8":
        # _scaled_mm wants a row-major and b column-major: b.t() of a row-major matrix is.
        a = a.to(torch.float8_e4m3fn)
        b = b.to(torch.float8_e4m3fn).t().contiguous().t()
        c = torch.empty(size, size, device=device, dtype=torch.bfloat16)
    else:
        c = torch.empty(size, size, device=device, dtype=make)
    return a, b, c


def _matmul_fn(dtype: str, a: Any, b: Any, c: Any) -> Callable[[], object]:
    torch = _torch()
    if dtype != "fp8":
        return lambda: torch.matmul(a, b, out=c)
    one = torch.ones((), device=a.device, dtype=torch.float32)

    def fp8(**out: Any) -> object:
        # Fast accumulation: the mode inference uses and the one the datasheet fp8 rate assumes.
        return torch._scaled_mm(
            a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16, use_fast_accum=True, **out
        )

    try:
        fp8(out=c)
    except (TypeError, RuntimeError):  # a torch without the out= overload: allocate per call
        return fp8
    return lambda: fp8(out=c)


def matmul_tflops(
    dtype: str,
    size: int,
    device: Any,
    config: ValidationConfig,
    datasheet: Datasheet | None = None,
) -> MatmulResult:
    """TFLOPS of `torch.matmul(a, b, out=c)` for size×size matrices of random data."""
    result = MatmulResult(dtype=dtype, size=size, device=str(device))
    result.peak_tflops = datasheet.peak_tflops(dtype) if datasheet else None
    result.skipped = unsupported_reason(dtype, device)
    if result.skipped:
        return result

    def measure() -> Timing:
        with tf32_matmuls(dtype == "tf32"):
            fn = _matmul_fn(dtype, *_random_matrices(dtype, size, device, config.seed))
            with ClockWatch(_nvml_index(device)) as watch:
                timing = _measure(fn, device, 2 * size**3 / 1e12, "TFLOP", config)
            result.clocks = watch.report
            return timing

    timing = _guarded(measure, device, result)
    if timing is not None:
        result.tflops = timing.throughput
        result.tflops_best = timing.work_per_call / timing.min_s
        result.timing = _timing_summary(timing)
    return result


def _guarded(measure: Callable[[], Timing], device: Any, result: Result) -> Timing | None:
    """Run one measurement; an OOM becomes a skipped result, and the buffers are freed either way."""
    try:
        with oom_guard(device=device if _is_cuda(device) else None):
            return measure()
    except GpuOutOfMemory as err:
        result.skipped = f"out of memory: {err.summary()}"
        return None
    except RuntimeError as err:  # e.g. a format this torch/cuBLAS build cannot run here
        first_line = (str(err).strip().splitlines() or [""])[0]
        result.skipped = f"failed: {type(err).__name__}: {first_line[:200]}"
        return None
    finally:
        release_memory()  # measure()'s tensors are gone with its frame: hand the cache back


def copy_bandwidth(
    buffer_mib: int, device: Any, config: ValidationConfig, datasheet: Datasheet | None = None
) -> BandwidthResult:
    """GB/s of `dst.copy_(src)` within one device's memory, counting bytes read + written."""
    torch = _torch()
    nbytes = buffer_mib * MIB
    kind = "device copy" if _is_cuda(device) else "host copy"
    result = BandwidthResult(kind, str(device), buffer_mib, bytes_per_call=2 * nbytes)
    if datasheet and _is_cuda(device):
        result.peak_gbs, result.peak_name = datasheet.bandwidth_gbs, f"{datasheet.model} datasheet"

    def measure() -> Timing:
        generator = torch.Generator(device=device).manual_seed(config.seed)
        src = torch.randn(nbytes // 4, generator=generator, device=device)
        dst = torch.empty_like(src)
        return _measure(lambda: dst.copy_(src), device, 2 * nbytes / 1e9, "GB", config)

    return _fill_bandwidth(result, _guarded(measure, device, result))


def host_transfer_bandwidth(
    direction: str,
    pinned: bool,
    buffer_mib: int,
    device: Any,
    config: ValidationConfig,
    peaks: Peaks | None = None,
) -> BandwidthResult:
    """GB/s of one host<->device copy ('h2d' or 'd2h') from pinned or pageable host memory."""
    if direction not in ("h2d", "d2h"):
        raise ValueError(f"direction must be 'h2d' or 'd2h', got {direction!r}")
    torch = _torch()
    nbytes = buffer_mib * MIB
    result = BandwidthResult(direction, str(device), buffer_mib, nbytes, pinned=pinned)
    if not _is_cuda(device):
        result.skipped = "host<->device transfers need a CUDA GPU"
        return result
    if peaks and peaks.pcie_gbs:
        result.peak_gbs, result.peak_name = peaks.pcie_gbs, peaks.pcie_name

    def measure() -> Timing:
        host = torch.empty(nbytes // 4, dtype=torch.float32, pin_memory=pinned)
        host.normal_(generator=torch.Generator().manual_seed(config.seed))
        dev = torch.empty(nbytes // 4, dtype=torch.float32, device=device)
        src, dst = (host, dev) if direction == "h2d" else (dev, host)
        # non_blocking only matters for pinned memory: pageable copies are staged by the driver.
        copy = lambda: dst.copy_(src, non_blocking=pinned)  # noqa: E731
        return _measure(copy, device, nbytes / 1e9, "GB", config)

    return _fill_bandwidth(result, _guarded(measure, device, result))


def _timing_summary(timing: Timing) -> dict[str, Any]:
    """The timing without its per-call samples (thousands of them for fast calls)."""
    data = timing.to_dict()
    data.pop("samples_s", None)
    return data


def _fill_bandwidth(result: BandwidthResult, timing: Timing | None) -> BandwidthResult:
    if timing is not None:
        result.gbs = timing.throughput
        result.gbs_best = timing.work_per_call / timing.min_s
        result.timing = _timing_summary(timing)
    return result


def validation_steps(
    config: ValidationConfig, device: Any, peaks: Peaks | None = None
) -> list[Step]:
    """Every measurement in order: matmuls per dtype and size, copies, transfers, the CPU peer.

    On a CPU-only machine `device` is 'cpu': the matmuls and the memory copy run on the CPU and
    the GPU-only formats and transfers come back as skipped results with the reason.
    """
    peaks = peaks or Peaks()
    sheet = peaks.datasheet
    steps = [
        Step(
            f"matmul {dtype} {size}³",
            lambda d=dtype, s=size: matmul_tflops(d, s, device, config, sheet),
        )
        for dtype in config.dtypes
        for size in config.sizes
    ]
    steps.append(
        Step(
            f"copy {config.copy_mib} MiB",
            lambda: copy_bandwidth(config.copy_mib, device, config, sheet),
        )
    )
    for direction in ("h2d", "d2h"):
        for pinned in (True, False):
            steps.append(
                Step(
                    f"{direction} {'pinned' if pinned else 'pageable'}",
                    lambda d=direction, p=pinned: host_transfer_bandwidth(
                        d, p, config.transfer_mib, device, config, peaks
                    ),
                )
            )
    steps.append(
        Step(
            f"CPU matmul fp32 {config.cpu_size}³",
            lambda: replace(
                matmul_tflops("fp32", config.cpu_size, "cpu", config), is_cpu_peer=True
            ),
        )
    )
    return steps


@dataclass
class ValidationSummary:
    """The headline figures of a validation run."""

    best_matmul: dict[str, MatmulResult] = field(default_factory=dict)  # dtype -> best size
    copy: BandwidthResult | None = None
    transfers: list[BandwidthResult] = field(default_factory=list)
    cpu_matmul: MatmulResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "best_matmul": {k: v.to_dict() for k, v in self.best_matmul.items()},
            "copy": self.copy.to_dict() if self.copy else None,
            "transfers": [t.to_dict() for t in self.transfers],
            "cpu_matmul": self.cpu_matmul.to_dict() if self.cpu_matmul else None,
        }


def summarise(results: list[Result]) -> ValidationSummary:
    """Best size per dtype (by median TFLOPS), the copy, the transfers and the CPU peer."""
    summary = ValidationSummary()
    for result in results:
        if isinstance(result, MatmulResult):
            if result.is_cpu_peer:
                summary.cpu_matmul = result
            elif result.tflops is not None:
                best = summary.best_matmul.get(result.dtype)
                if best is None or result.tflops > (best.tflops or 0):
                    summary.best_matmul[result.dtype] = result
        elif result.kind in ("device copy", "host copy"):
            summary.copy = result
        else:
            summary.transfers.append(result)
    return summary
