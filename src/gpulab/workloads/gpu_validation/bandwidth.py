"""Memory and PCIe bandwidth: GB/s of a copy within device memory and of host<->device transfers.

- device copy: `dst.copy_(src)` reads and writes every byte, so bytes moved = 2 × buffer size (the
  STREAM "copy" convention, and what the datasheet bandwidth is a ceiling for);
- host transfers: bytes moved once over PCIe per call, pinned (page-locked, DMA straight from the
  buffer) vs pageable (the driver first copies through a staging buffer); the ceiling is the PCIe
  link NVML reports (generation × width).
"""

from __future__ import annotations

from typing import Any

from gpulab.datasheet import Datasheet
from gpulab.timing import Timing
from gpulab.workloads.gpu_validation.ceilings import Peaks
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.devices import is_cuda, torch_module
from gpulab.workloads.gpu_validation.measurement import (
    skip_on_failure,
    time_calls,
    timing_summary,
)
from gpulab.workloads.gpu_validation.results import BandwidthResult

MIB = 2**20
DIRECTIONS = ("h2d", "d2h")


def copy_bandwidth(
    buffer_mib: int, device: Any, config: ValidationConfig, datasheet: Datasheet | None = None
) -> BandwidthResult:
    """GB/s of `dst.copy_(src)` within one device's memory, counting bytes read + written."""
    torch = torch_module()
    nbytes = buffer_mib * MIB
    kind = "device copy" if is_cuda(device) else "host copy"
    result = BandwidthResult(kind, str(device), buffer_mib, bytes_per_call=2 * nbytes)
    if datasheet and is_cuda(device):
        result.peak_gbs, result.peak_name = datasheet.bandwidth_gbs, f"{datasheet.model} datasheet"

    def measure() -> Timing:
        generator = torch.Generator(device=device).manual_seed(config.seed)
        src = torch.randn(nbytes // 4, generator=generator, device=device)
        dst = torch.empty_like(src)
        return time_calls(lambda: dst.copy_(src), device, 2 * nbytes / 1e9, "GB", config)

    return _filled(result, skip_on_failure(measure, device, result))


def host_transfer_bandwidth(
    direction: str,
    pinned: bool,
    buffer_mib: int,
    device: Any,
    config: ValidationConfig,
    peaks: Peaks | None = None,
) -> BandwidthResult:
    """GB/s of one host<->device copy ('h2d' or 'd2h') from pinned or pageable host memory."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'h2d' or 'd2h', got {direction!r}")
    torch = torch_module()
    nbytes = buffer_mib * MIB
    result = BandwidthResult(direction, str(device), buffer_mib, nbytes, pinned=pinned)
    if not is_cuda(device):
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
        return time_calls(copy, device, nbytes / 1e9, "GB", config)

    return _filled(result, skip_on_failure(measure, device, result))


def _filled(result: BandwidthResult, timing: Timing | None) -> BandwidthResult:
    if timing is not None:
        result.gbs = timing.throughput
        result.gbs_best = timing.work_per_call / timing.min_s
        result.timing = timing_summary(timing)
        result.noise = timing.noise_note()
    return result
