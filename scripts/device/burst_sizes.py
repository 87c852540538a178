"""Which size gives the truest bf16 burst: 8192, 12288 and 16384 at 5 and 10 products.

python3 scripts/device/burst_sizes.py   (about 30 s on an H200)
"""

from __future__ import annotations

import torch

from gpulab.datasheet import datasheet_for
from gpulab.workloads.gpu_validation import BurstConfig, burst_and_sustained

sheet = datasheet_for(torch.cuda.get_device_name(0))
for size in (8192, 12288, 16384):
    for products in (5, 10):
        config = BurstConfig(dtypes=("bf16",), size=size, burst_products=products, sustained_s=1.0)
        r = burst_and_sustained("bf16", torch.device("cuda"), config, sheet)
        print(
            f"bf16 {size}^3 x{products}: burst {r.burst.tflops:.1f} TFLOPS "
            f"({r.burst_pct_of_datasheet:.1f} % of datasheet, {r.burst.seconds * 1e3:.0f} ms), "
            f"1 s held {r.sustained.tflops:.1f} at {r.sustained.clocks.sm_clock_mhz:.0f} MHz"
        )
