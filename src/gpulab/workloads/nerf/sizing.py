"""Whether a ray batch fits: activation bytes per sample of each model (measured on the
autograd graph's saved tensors, rounded up) times samples per ray times rays."""

from __future__ import annotations

import os

from gpulab.errors import UsageError

from .config import NerfConfig

OURS_BYTES_PER_SAMPLE = 8 * 1024
VANILLA_BYTES_PER_SAMPLE = 12 * 1024
_USABLE = 0.7  # of free memory: the dataset, the tables and the allocator's slack take the rest


def step_bytes(config: NerfConfig) -> dict[str, int]:
    """Peak activation bytes of one training step of each model."""
    return {
        "ours": config.batch_rays * config.samples * OURS_BYTES_PER_SAMPLE,
        "vanilla": config.vanilla_batch_rays
        * (2 * config.coarse_samples + config.fine_samples)
        * VANILLA_BYTES_PER_SAMPLE,
    }


def free_bytes(device: str) -> int:
    """Free memory where the models train: the GPU budget's view, or the host's RAM."""
    if device.startswith("cuda"):
        from gpulab import memory_budget

        return memory_budget.free_and_total(device)[0]
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_fits(config: NerfConfig, device: str) -> dict[str, int]:
    """UsageError naming the batch to use where a step would not fit; else the estimates."""
    need = step_bytes(config)
    free = int(free_bytes(device) * _USABLE)
    for model, size in need.items():
        if size > free:
            rays = config.batch_rays if model == "ours" else config.vanilla_batch_rays
            fits = max(1, int(rays * free / size))
            field = "batch_rays" if model == "ours" else "vanilla_batch_rays"
            raise UsageError(
                f"a {model} step of {rays:,} rays needs about {size / 2**30:.1f} GiB, more than "
                f"the {free / 2**30:.1f} GiB usable on {device}: lower {field} to {fits:,} or less"
            )
    return need | {"usable": free}
