"""How long the served ResNet-50's forward takes per batch size, as the server calls it.

    python scripts/device/serving_probe.py

`models.forward` (numpy uint8 in, host -> device, bf16 forward, float32 numpy out) at batch
1..64, median of 20 calls after warm-up, NCHW and channels_last. It tells what one request
costs the unbatched server, and what a full batch costs the batched one, before any wire.
"""

from __future__ import annotations

import statistics
import time

import torch

from gpulab.workloads.serving import RESNET, ModelShape, models


def median_ms(model, batch, repeats: int = 20) -> float:
    for _ in range(3):
        models.forward(model, batch, "bfloat16")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        models.forward(model, batch, "bfloat16")
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    shape = ModelShape(RESNET)
    model = models.build(shape, 0, "bfloat16", "cuda")
    print(f"GPU {torch.cuda.get_device_name(0)}; channels_last: {models.channels_last(model)}")
    for size in (1, 2, 4, 8, 16, 32, 64):
        batch = models.example_inputs(shape, size)
        ms = median_ms(model, batch)
        print(f"batch {size:3}: {ms:6.2f} ms  {size / ms * 1e3:8.0f} images/s")


if __name__ == "__main__":
    main()
