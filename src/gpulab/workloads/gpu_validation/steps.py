"""The validation run as a list of steps, each with the work one of its calls does, so a progress
bar can weigh them (`schedule`) and the benchmark can run them straight through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from gpulab.workloads.gpu_validation.bandwidth import (
    DIRECTIONS,
    MIB,
    copy_bandwidth,
    host_transfer_bandwidth,
)
from gpulab.workloads.gpu_validation.ceilings import Peaks
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.devices import is_cuda
from gpulab.workloads.gpu_validation.matmul import matmul_tflops, unsupported_reason
from gpulab.workloads.gpu_validation.results import Result


@dataclass
class Step:
    """One measurement the notebook's progress bar (or the benchmark) runs."""

    label: str
    run: Callable[[], Result]
    device: str = "cpu"
    kind: str = ""  # what its rate is measured as: 'matmul bf16', 'copy', 'h2d pinned'
    work_per_call: float = 0.0  # TFLOP (matmul) or GB (copy) one call does, as its timing counts
    skip: bool = False  # known before it runs: the format or the transfer cannot run here


def validation_steps(
    config: ValidationConfig, device: Any, peaks: Peaks | None = None
) -> list[Step]:
    """Every measurement in order: matmuls per dtype and size, copies, transfers, the CPU peer.

    On a CPU-only machine `device` is 'cpu': the matmuls and the memory copy run on the CPU and
    the GPU-only formats and transfers come back as skipped results with the reason.
    """
    peaks = peaks or Peaks()
    sheet = peaks.datasheet
    where = str(device)
    steps = [
        Step(
            f"matmul {dtype} {size}³",
            lambda d=dtype, s=size: matmul_tflops(d, s, device, config, sheet),
            where,
            f"matmul {dtype}",
            2 * size**3 / 1e12,
            unsupported_reason(dtype, device) is not None,
        )
        for dtype in config.dtypes
        for size in config.sizes
    ]
    steps.append(
        Step(
            f"copy {config.copy_mib} MiB",
            lambda: copy_bandwidth(config.copy_mib, device, config, sheet),
            where,
            "copy",
            2 * config.copy_mib * MIB / 1e9,
        )
    )
    for direction in DIRECTIONS:
        for pinned in (True, False):
            kind = f"{direction} {'pinned' if pinned else 'pageable'}"
            steps.append(
                Step(
                    kind,
                    lambda d=direction, p=pinned: host_transfer_bandwidth(
                        d, p, config.transfer_mib, device, config, peaks
                    ),
                    where,
                    kind,
                    config.transfer_mib * MIB / 1e9,
                    not is_cuda(device),
                )
            )
    steps.append(
        Step(
            f"CPU matmul fp32 {config.cpu_size}³",
            lambda: replace(
                matmul_tflops("fp32", config.cpu_size, "cpu", config), is_cpu_peer=True
            ),
            "cpu",
            "matmul fp32",
            2 * config.cpu_size**3 / 1e12,
        )
    )
    return steps
