"""Fit the server's batch to the GPU memory this process may use (`memory_budget`)."""

from __future__ import annotations

from dataclasses import replace

from gpulab.errors import UsageError

from .config import ServingConfig
from .models import BERT, RESNET

# Rough peak bytes per sample in one forward pass at bf16 (activations kept by the widest layer
# plus the workspace cuDNN/cuBLAS pick), measured on the real sizes; parameters apart.
ACTIVATION_BYTES = {RESNET: 40 * 2**20, BERT: 8 * 2**20}
PARAM_BYTES = {RESNET: 26 * 10**6 * 2, BERT: 110 * 10**6 * 2}
OTHER_BYTES = 64 * 2**20
CONTEXT_BYTES = 1024 * 2**20  # the child's CUDA context, once per process


def needed_bytes(config: ServingConfig, batch: int | None = None) -> int:
    """What the server child needs on the GPU at `batch` (default: max_batch_size)."""
    batch = batch or config.max_batch_size
    total = CONTEXT_BYTES
    for name in config.models:
        params = PARAM_BYTES.get(name, OTHER_BYTES)
        acts = ACTIVATION_BYTES.get(name, 2**20) * batch
        total += config.instances * (params + acts)
    return total


def fit_to_memory(config: ServingConfig) -> ServingConfig:
    """On a GPU, halve max_batch_size until the models fit the free memory (`free_and_total`,
    so a memory budget sizes the run for the smaller card); a CPU config is returned as is."""
    if config.device != "cuda":
        return config
    from gpulab import memory_budget

    free, _ = memory_budget.free_and_total()
    batch = config.max_batch_size
    while batch > 1 and needed_bytes(config, batch) > free:
        batch //= 2
    if needed_bytes(config, batch) > free:
        raise UsageError(
            f"the chosen models need about {needed_bytes(config, 1) / 2**30:.1f} GiB of GPU "
            f"memory even at batch 1 and {free / 2**30:.1f} GiB is free: serve fewer models "
            "or one instance"
        )
    return replace(config, max_batch_size=batch)
