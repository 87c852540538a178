"""The notebook's generation: the chosen settings, memory savers from free memory, a seed check.

The images are made twice with the same seed and settings; the second call must reproduce the
first (on a GPU up to the last bit where the kernels are deterministic, which the check shows).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress

from .config import DiffusionConfig
from .drift import Drift, compare_images
from .generate import Settings, generate
from .pipeline import build_pipeline, cpu_threads, resolve_device
from .sizing import MemoryPlan, apply_savers, plan_memory
from .tokens import PromptLength, prompt_length


@dataclass
class Generation:
    settings: Settings
    scheduler: str
    device: str
    dtype: str
    random_weights: bool
    images: Any  # numpy (batch, h, w, 3) in [0, 1]
    seconds: float
    seed_check: Drift
    plan: MemoryPlan | None
    prompt: PromptLength
    negative: PromptLength
    peak_mib: float | None

    @property
    def reproduced(self) -> bool:
        return self.seed_check.identical


def memory_plan(config: DiffusionConfig, device: str) -> MemoryPlan | None:
    """Savers for `config` from free GPU memory (the budget's where one is set); None on a CPU."""
    if not device.startswith("cuda"):
        return None
    from gpulab.memory_budget import free_and_total

    free, _total = free_and_total(device)
    return plan_memory(config.batch, config.height, config.width, free)


def run_generation(config: DiffusionConfig, progress: ProgressFn = no_progress) -> Generation:
    """Build the pipeline, check the batch fits, generate twice with one seed, compare."""
    config.validate()
    with cpu_threads(config.cpu_threads):
        return _run_generation(config, progress)


def _run_generation(config: DiffusionConfig, progress: ProgressFn) -> Generation:
    import torch

    device = resolve_device(config.device)
    plan = memory_plan(config, device)
    if plan is not None and not plan.fits:
        raise UsageError(plan.describe())
    pipe = build_pipeline(config, device)
    if plan is not None:
        apply_savers(pipe, plan.savers)
    settings = Settings.of(config)
    steps = settings.steps

    def half(offset: int) -> ProgressFn:
        return lambda done, _total, note="": progress(offset + done, 2 * steps, note)

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    images = generate(pipe, settings, half(0))
    seconds = time.perf_counter() - start
    again = generate(pipe, settings, half(steps))
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.startswith("cuda") else None
    tokenizer = pipe.tokenizer
    return Generation(
        settings=settings,
        scheduler=config.scheduler,
        device=device,
        dtype=str(pipe.unet.dtype).removeprefix("torch."),
        random_weights=config.random_weights,
        images=images,
        seconds=seconds,
        seed_check=compare_images(images, again),
        plan=plan,
        prompt=prompt_length(tokenizer, settings.prompt),
        negative=prompt_length(tokenizer, settings.negative_prompt),
        peak_mib=peak,
    )


def to_png(image: Any) -> bytes:
    """One (h, w, 3) float image in [0, 1] as PNG bytes, for `mo.image`."""
    import io

    import numpy as np
    from PIL import Image

    pixels = (np.clip(image, 0, 1) * 255).round().astype("uint8")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()
