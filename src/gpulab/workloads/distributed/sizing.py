"""What fits one device: micro-batches sized from the free memory, the global batch kept.

A rank holds its fp32 weights, gradients and two AdamW moments (16 bytes per parameter; FSDP2
divides them by N, counted here at N = 1, the worst case) plus the activations of one
micro-batch. Where the per-rank batch does not fit, the step accumulates more, smaller
micro-batches: the global batch, and so the loss curve, stays the same.
"""

from __future__ import annotations

from dataclasses import replace

from .config import TrainConfig, plan_batch

STATE_BYTES_PER_PARAM = 16
# Saved activations per token per layer, in units of d_model (qkv, attention, MLP at 4x, norms
# and residuals, some kept in fp32 under autocast): a generous upper estimate, not a measured
# peak; the run reports the real peak per rank.
ACTIVATION_BYTES_PER_TOKEN_LAYER_WIDTH = 64
HEADROOM = 0.85  # the allocator's fragmentation and the CUDA context


def parameters(config: TrainConfig) -> int:
    """The GPT's parameter count (tied embeddings), without building it."""
    d, layers = config.d_model, config.n_layers
    block = 12 * d * d + 13 * d  # qkv, proj, two MLP matrices, their biases and two norms
    return 256 * d + config.seq_len * d + layers * block + 2 * d


def sequence_bytes(config: TrainConfig) -> int:
    return (
        config.seq_len * config.n_layers * config.d_model * ACTIVATION_BYTES_PER_TOKEN_LAYER_WIDTH
    )


def fit_memory(config: TrainConfig, free_bytes: int) -> tuple[TrainConfig, str]:
    """`config` with enough accumulation that one micro-batch fits `free_bytes`, and a note."""
    usable = HEADROOM * free_bytes - STATE_BYTES_PER_PARAM * parameters(config)
    fits = int(usable // sequence_bytes(config))
    if fits < 1:
        return config, f"one sequence may not fit {free_bytes / 2**30:.1f} GiB free; trying anyway"
    per_rank = plan_batch(config.global_batch, 1, config.accumulation).micro_batch
    accumulation = config.accumulation
    while per_rank > fits and per_rank % 2 == 0:
        per_rank //= 2
        accumulation *= 2
    if accumulation == config.accumulation:
        return config, ""
    return replace(config, accumulation=accumulation), (
        f"{free_bytes / 2**30:.1f} GiB free: micro-batches of {per_rank} sequences x "
        f"{accumulation} accumulation steps (the global batch of {config.global_batch} is kept)"
    )
