"""What every rung builder shares: the context it gets, the `Built` it returns, and `place`.

A builder takes the ladder's context (FP32 master weights, inputs, device) and a recipe, and
returns a `Built`: one forward pass ready to time. `place` gives it its own copy of the model and
inputs, cast and laid out as the recipe says, so no rung sees another's changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from gpulab.workloads.inference.config import LadderConfig
from gpulab.workloads.inference.models import set_attention
from gpulab.workloads.inference.rungs import Recipe


class RungSkipped(Exception):
    """A rung that cannot run here (no GPU, an opt-in not given): skipped, not failed."""


@dataclass
class Built:
    """A rung ready to time: `run()` does one forward on the bound inputs and returns the output."""

    run: Callable[[], Any]
    backend: str
    device: str  # where the timed work runs ("cuda" or "cpu"): picks the timing clock
    setup_s: float = 0.0
    tracks_memory: bool = True  # False when a runtime allocates outside torch's allocator


@dataclass
class LadderContext:
    """What every rung builder needs: the master weights, the inputs, the device, shared work."""

    config: LadderConfig
    master: Any  # the FP32 model on the CPU: each rung takes its own copy
    inputs: Any  # CPU tensor: images (float32) or token ids (int64)
    device: Any
    compiled: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # mode -> (compiled, inputs)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def cnn(self) -> bool:
        return self.config.family == "cnn"


def dtype_of(precision: str) -> torch.dtype:
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


@contextmanager
def tf32_mode(enabled: bool) -> Iterator[None]:
    """TF32 on or off for both cuBLAS matmuls and cuDNN convolutions, restored afterwards."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def place(ctx: LadderContext, recipe: Recipe, device: Any = None) -> tuple[Any, Any]:
    """A copy of the master model and of the inputs, placed and cast as the recipe says."""
    device = ctx.device if device is None else device
    model = copy.deepcopy(ctx.master)
    if ctx.config.family == "transformer":
        set_attention(model, "sdpa" if recipe.sdpa else "eager")
    model = model.to(device, dtype_of(recipe.precision)).eval()
    inputs = ctx.inputs.to(device)
    if ctx.config.family == "cnn":
        inputs = inputs.to(dtype_of(recipe.precision))
        if recipe.channels_last:
            model = model.to(memory_format=torch.channels_last)
            inputs = inputs.contiguous(memory_format=torch.channels_last)
    return model, inputs
