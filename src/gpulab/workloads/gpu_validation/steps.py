"""The validation run as a list of steps, so a notebook can drive a progress bar over it and the
benchmark can run it straight through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from gpulab.workloads.gpu_validation.bandwidth import (
    DIRECTIONS,
    copy_bandwidth,
    host_transfer_bandwidth,
)
from gpulab.workloads.gpu_validation.ceilings import Peaks
from gpulab.workloads.gpu_validation.config import ValidationConfig
from gpulab.workloads.gpu_validation.matmul import matmul_tflops
from gpulab.workloads.gpu_validation.results import Result


@dataclass
class Step:
    """One measurement the notebook's progress bar (or the benchmark) runs."""

    label: str
    run: Callable[[], Result]


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
    for direction in DIRECTIONS:
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
