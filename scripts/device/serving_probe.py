"""How long the served ResNet-50's forward takes per batch size, eager and replayed from CUDA
graphs, as the server calls it.

    python scripts/device/serving_probe.py

`models.forward` (numpy uint8 in, host -> device, bf16 forward, float32 numpy out) and
`GraphedForward` (the same, each batch size captured once) at batch 1..64, median of 20 calls
after warm-up, and the largest difference between their outputs. It tells what one request
costs the unbatched server, and what a full batch costs the batched one, before any wire.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from gpulab.workloads.serving import RESNET, ModelShape, models
from gpulab.workloads.serving.graphed_forward import GraphedForward

SIZES = (1, 2, 4, 8, 16, 32, 64)


def median_ms(run: Callable[[Any], Any], batch: Any, repeats: int = 20) -> float:
    for _ in range(3):
        run(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    shape = ModelShape(RESNET)
    model = models.build(shape, 0, "bfloat16", "cuda")
    print(f"GPU {torch.cuda.get_device_name(0)}; channels_last: {models.channels_last(model)}")
    start = time.perf_counter()
    graphed = GraphedForward(model, shape, max(SIZES))
    print(
        f"captured {len(graphed.graphs)} graphs in {time.perf_counter() - start:.1f} s; "
        f"error: {graphed.error}; memory {torch.cuda.memory_allocated() / 2**20:.0f} MiB"
    )
    for size in SIZES:
        batch = models.example_inputs(shape, size)
        eager = median_ms(lambda b: models.forward(model, b), batch)
        replay = median_ms(graphed, batch)
        diff = float(np.abs(graphed(batch) - models.forward(model, batch)).max())
        print(
            f"batch {size:3}: eager {eager:6.2f} ms ({size / eager * 1e3:6.0f} images/s)  "
            f"graph {replay:6.2f} ms ({size / replay * 1e3:6.0f} images/s)  max diff {diff:.2e}"
        )


if __name__ == "__main__":
    main()
