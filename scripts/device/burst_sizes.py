"""Which size gives the truest bf16 burst and sustained rate: 8192, 12288 and 16384.

At each size: a burst of 5 products (1 s held after it), then a burst of 10 products and 5 s held,
each with the median SM clock and the % of the peak at that clock. A size whose tiles do not fill
the last wave of SMs evenly runs below its clock's peak for reasons that are not the GPU's health.

python3 scripts/device/burst_sizes.py   (about 45 s on an H200)
"""

from __future__ import annotations

import torch

from gpulab.datasheet import datasheet_for
from gpulab.workloads.gpu_validation import BurstConfig, burst_and_sustained


def described(phase) -> str:
    """Rate, clock and efficiency of one window; n/a where NVML gave no sample."""
    clock = phase.clocks.sm_clock_mhz if phase.clocks else None
    power = phase.clocks.power_median_w if phase.clocks else None
    pct = phase.pct_of_peak_at_clock
    return (
        f"{phase.tflops:.1f} TFLOPS in {phase.seconds * 1e3:.0f} ms at "
        f"{'n/a' if clock is None else f'{clock:.0f}'} MHz "
        f"({'n/a' if pct is None else f'{pct:.1f}'} % of its peak, {power} W median)"
    )


sheet = datasheet_for(torch.cuda.get_device_name(0))
for size in (8192, 12288, 16384):
    for products, held_s in ((5, 1.0), (10, 5.0)):
        config = BurstConfig(
            dtypes=("bf16",), size=size, burst_products=products, sustained_s=held_s
        )
        r = burst_and_sustained("bf16", torch.device("cuda"), config, sheet)
        of_sheet = r.burst_pct_of_datasheet
        print(
            f"bf16 {size}^3 burst x{products}: {described(r.burst)}, "
            f"{'n/a' if of_sheet is None else f'{of_sheet:.1f}'} % of datasheet; "
            f"{held_s:.0f} s held: "
            f"{described(r.sustained)}"
        )
