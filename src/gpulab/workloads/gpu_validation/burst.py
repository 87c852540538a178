"""Burst and sustained matmul rates, each against the peak at the clock the GPU actually ran.

A datasheet peak assumes every SM at the boost clock. Under a dense tensor-core load a
power-capped board (an H100/H200 SXM at 700 W) lowers its SM clock within a fraction of a second,
so one figure cannot say both "how fast is this GPU" and "is it healthy":

- **burst**: a few products right after a short warm-up, following a rest that lets the board's
  power average fall back. This is what the datasheet describes (the clock not yet pulled down).
  The rest also drops the SM clock to idle; `lead_in_products` queued just before the timed
  products (no host sync between) carry its climb back, so the burst is timed at full clock.
- **sustained**: products back to back for `sustained_s` seconds (at least 5 s in the full
  profile): what a training job gets once the power cap holds the clock.

Both record the median SM clock and power NVML reported while they ran, and the efficiency
against the peak *at that clock* (SMs x FLOP per clock per SM x clock): a sustained rate far below
the datasheet but near its clock's peak is a healthy power-capped GPU; one far below its clock's
peak is not.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab.datasheet import Datasheet
from gpulab.progress import ProgressFn, no_progress
from gpulab.telemetry import ClockReport, ClockWatch
from gpulab.workloads.gpu_validation.config import BurstConfig
from gpulab.workloads.gpu_validation.devices import is_cuda, nvml_index, torch_module
from gpulab.workloads.gpu_validation.matmul import (
    matmul_fn,
    random_matrices,
    tf32_matmuls,
    unsupported_reason,
)
from gpulab.workloads.gpu_validation.results import pct

# Dense FLOP per clock per SM by compute capability major.minor and format: the SM's tensor-core
# (or, for fp32, CUDA-core FMA) rate. SMs x this x the SM clock is the peak at that clock; at the
# boost clock it gives the datasheet figure (H100/H200 SXM: 132 x 4096 x 1.83 GHz = 989.4 TFLOPS).
FLOP_PER_CLOCK_PER_SM: dict[tuple[int, int], dict[str, int]] = {
    (8, 0): {"fp32": 128, "tf32": 1024, "fp16": 2048, "bf16": 2048},
    (8, 6): {"fp32": 256, "tf32": 512, "fp16": 1024, "bf16": 1024},
    (8, 9): {"fp32": 256, "tf32": 512, "fp16": 1024, "bf16": 1024, "fp8": 2048},
    (9, 0): {"fp32": 256, "tf32": 2048, "fp16": 4096, "bf16": 4096, "fp8": 8192},
    (10, 0): {"fp32": 256, "tf32": 4096, "fp16": 8192, "bf16": 8192, "fp8": 16384},
}


NVML_POWER_WINDOW_S = 1.0  # board power as NVML reports it is averaged over about a second


def peak_at_clock(
    dtype: str, capability: tuple[int, int], sm_count: int, clock_mhz: float | None
) -> float | None:
    """Dense TFLOPS of `sm_count` SMs at `clock_mhz` (None for an unknown architecture)."""
    per_sm = FLOP_PER_CLOCK_PER_SM.get(tuple(capability), {}).get(dtype)
    if per_sm is None or not clock_mhz or sm_count < 1:
        return None
    return sm_count * per_sm * clock_mhz * 1e6 / 1e12


@dataclass
class Phase:
    """One timed window: its rate, how long it ran, and the clock and power during it."""

    tflops: float
    products: int
    seconds: float
    clocks: ClockReport | None = None
    peak_at_clock_tflops: float | None = None

    @property
    def pct_of_peak_at_clock(self) -> float | None:
        return pct(self.tflops, self.peak_at_clock_tflops)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pct_of_peak_at_clock"] = self.pct_of_peak_at_clock
        return data


@dataclass
class BurstSustained:
    """Burst and sustained rates of one format at one size, against the datasheet and the clock."""

    dtype: str
    size: int
    device: str
    datasheet_tflops: float | None = None
    burst: Phase | None = None
    sustained: Phase | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def burst_pct_of_datasheet(self) -> float | None:
        return pct(self.burst.tflops if self.burst else None, self.datasheet_tflops)

    @property
    def sustained_pct_of_datasheet(self) -> float | None:
        return pct(self.sustained.tflops if self.sustained else None, self.datasheet_tflops)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "size": self.size,
            "device": self.device,
            "datasheet_tflops": self.datasheet_tflops,
            "burst": self.burst.to_dict() if self.burst else None,
            "sustained": self.sustained.to_dict() if self.sustained else None,
            "burst_pct_of_datasheet": self.burst_pct_of_datasheet,
            "sustained_pct_of_datasheet": self.sustained_pct_of_datasheet,
            "skipped": self.skipped,
            "notes": self.notes,
        }


def _timed_window(
    fn: Any, device: Any, products: int | None, seconds: float | None, lead_in: int = 0
) -> Phase:
    """Run `fn` `products` times (or for `seconds`), timed by CUDA events around the window;
    `lead_in` untimed products run first, queued on the same stream without a host sync, so the
    GPU goes from them into the window without idling."""
    torch = torch_module()
    if is_cuda(device):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(device)
    for _ in range(lead_in):
        fn()
    if is_cuda(device):
        start.record()
    began = time.perf_counter()
    done = 0
    while (products is not None and done < products) or (
        seconds is not None and time.perf_counter() - began < seconds
    ):
        fn()
        done += 1
        if seconds is not None and done % 8 == 0 and is_cuda(device):
            torch.cuda.synchronize(device)  # keep the host's clock within a few products
    if is_cuda(device):
        end.record()
        end.synchronize()
        elapsed = start.elapsed_time(end) / 1e3
    else:
        elapsed = time.perf_counter() - began
    return Phase(tflops=0.0, products=done, seconds=elapsed)  # the caller sets the rate


def burst_and_sustained(
    dtype: str,
    device: Any,
    config: BurstConfig,
    datasheet: Datasheet | None = None,
    progress: ProgressFn = no_progress,
) -> BurstSustained:
    """Warm up, rest, time a burst of `burst_products`, then `sustained_s` of back-to-back products."""
    result = BurstSustained(dtype=dtype, size=config.size, device=str(device))
    result.datasheet_tflops = datasheet.peak_tflops(dtype) if datasheet else None
    result.skipped = unsupported_reason(dtype, device)
    if result.skipped:
        return result
    torch = torch_module()
    capability, sm_count = (0, 0), 0
    if is_cuda(device):
        props = torch.cuda.get_device_properties(device)
        capability, sm_count = (props.major, props.minor), props.multi_processor_count
    flop = 2 * config.size**3 / 1e12
    with tf32_matmuls(dtype == "tf32"):
        fn = matmul_fn(dtype, *random_matrices(dtype, config.size, device, config.seed))
        _timed_window(fn, device, config.warmup_products, None)
        time.sleep(config.rest_s)  # let the board's power average fall back before the burst
        with ClockWatch(nvml_index(device), interval_s=0.002) as burst_watch:
            burst = _timed_window(fn, device, config.burst_products, None, config.lead_in_products)
        progress(1, 2, f"{dtype} burst")
        with ClockWatch(nvml_index(device)) as held_watch:
            held = _timed_window(fn, device, None, config.sustained_s)
        progress(2, 2, f"{dtype} sustained")
    for phase, watch in ((burst, burst_watch), (held, held_watch)):
        phase.tflops = flop * phase.products / phase.seconds
        phase.clocks = watch.report
        clock = watch.report.sm_clock_mhz if watch.report else None
        phase.peak_at_clock_tflops = peak_at_clock(dtype, capability, sm_count, clock)
    result.burst, result.sustained = burst, held
    if is_cuda(device) and burst.seconds < NVML_POWER_WINDOW_S:
        result.notes.append(
            f"the burst lasted {burst.seconds * 1e3:.0f} ms, less than NVML's power averaging "
            f"(about {NVML_POWER_WINDOW_S:.0f} s): its power is the board's recent average and "
            "its clock a few samples, not the burst's own"
        )
    if is_cuda(device) and tuple(capability) not in FLOP_PER_CLOCK_PER_SM:
        result.notes.append(f"no per-clock rate known for sm_{capability[0]}{capability[1]}")
    return result


def run_burst(
    config: BurstConfig,
    device: Any,
    datasheet: Datasheet | None = None,
    progress: ProgressFn = no_progress,
) -> list[BurstSustained]:
    """`burst_and_sustained` for every format of `config`, in order; progress in windows run."""
    total = 2 * len(config.dtypes)
    results: list[BurstSustained] = []
    for index, dtype in enumerate(config.dtypes):

        def step(done: int, _total: int, note: str, base: int = 2 * index) -> None:
            progress(base + done, total, note)

        results.append(burst_and_sustained(dtype, device, config, datasheet, step))
        progress(2 * (index + 1), total, f"{dtype} done")
    return results
