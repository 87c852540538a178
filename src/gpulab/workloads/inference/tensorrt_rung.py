"""The TensorRT rung: torch-tensorrt's dynamo path, built from the fast-precision model."""

from __future__ import annotations

import time

from gpulab.deps import require
from gpulab.timing import synchronize
from gpulab.workloads.inference.rung_setup import (
    Built,
    LadderContext,
    RungSkipped,
    dtype_of,
    place,
)
from gpulab.workloads.inference.rungs import Recipe


def build_tensorrt(ctx: LadderContext, recipe: Recipe) -> Built:
    """torch-tensorrt's dynamo path. Not run on our hosts (torch-tensorrt is not installable)."""
    torch_tensorrt = require("torch_tensorrt")  # first: a missing install is the news
    if not ctx.cuda:
        raise RungSkipped("TensorRT needs an NVIDIA GPU")
    started = time.perf_counter()
    model, inputs = place(ctx, recipe)
    engine = torch_tensorrt.compile(
        model, ir="dynamo", inputs=[inputs], enabled_precisions={dtype_of(recipe.precision)}
    )
    synchronize()
    return Built(
        lambda: engine(inputs),
        f"torch-tensorrt {torch_tensorrt.__version__}",
        "cuda",
        setup_s=time.perf_counter() - started,
    )
