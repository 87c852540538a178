"""The rungs PyTorch runs itself: eager, torch.compile, and the compiled forward as a CUDA graph."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from gpulab.timing import synchronize
from gpulab.workloads.inference.rung_setup import Built, LadderContext, place
from gpulab.workloads.inference.rungs import Recipe


def capture_cuda_graph(forward: Callable[[Any], Any], example: Any, warmup: int = 3) -> Any:
    """Record `forward(static_input)` once as a CUDA graph; the returned fn copies in and replays.

    A graph replays the recorded kernels with their recorded pointers, so the input must live in
    the same buffer every time (`static_input`) and the output is always the same tensor.
    """
    static_input = example.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm up off the default stream, as capture requires
        for _ in range(warmup):
            forward(static_input)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_output = forward(static_input)

    def replay(x: Any) -> Any:
        static_input.copy_(x)
        graph.replay()
        return static_output

    replay.graph = graph  # the graph (and its memory pool) lives as long as the function
    return replay


def _compile(ctx: LadderContext, recipe: Recipe) -> tuple[Any, Any]:
    """A compiled copy of the model and its inputs, kept in `ctx.compiled` for the graph rung."""
    model, inputs = place(ctx, recipe)
    compiled = torch.compile(model, mode=recipe.compile_mode, backend=ctx.config.compile_backend)
    ctx.compiled[recipe.compile_mode] = (compiled, inputs)
    return compiled, inputs


def build_torch(ctx: LadderContext, recipe: Recipe) -> Built:
    """Eager, compiled, or a CUDA graph replaying the compile rung's model (compiled anew if absent)."""
    device = ctx.device.type
    if recipe.compile_mode is None:
        model, inputs = place(ctx, recipe)
        return Built(lambda: model(inputs), "PyTorch eager", device)
    config = ctx.config
    frozen = (
        ", frozen weights" if config.freeze_weights and config.compile_backend == "inductor" else ""
    )
    label = f"torch.compile({config.compile_backend_name}, {recipe.compile_mode}{frozen})"
    if not recipe.cuda_graphs:
        compiled, inputs = _compile(ctx, recipe)
        return Built(lambda: compiled(inputs), label, device)
    started = time.perf_counter()
    reused = recipe.compile_mode in ctx.compiled
    # the compile rung did not run (or failed): compile here
    compiled, inputs = ctx.compiled[recipe.compile_mode] if reused else _compile(ctx, recipe)
    replay = capture_cuda_graph(compiled, inputs)
    synchronize()
    origin = "the compile rung's" if reused else "a newly"
    return Built(
        lambda: replay(inputs),
        f"CUDA graph (torch.cuda.graph) replaying {origin} {label}",
        device,
        setup_s=time.perf_counter() - started,
    )
