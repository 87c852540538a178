"""How each strategy wraps the model and runs one optimiser step: the code the notebook shows.

single: the plain model. DDP: one full replica per rank, gradients all-reduced in buckets
(`bucket_cap_mb`) while backward runs, `no_sync()` skipping the all-reduce on all but the last
micro-batch. FSDP2: `fully_shard` per block and on the root, each rank holding 1/N of every
parameter, gathered per block for forward and backward and reduce-scattered after. Imports torch.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from .config import DDP, FSDP2, TrainConfig
from .model import lm_loss


def wrap(model: nn.Module, strategy: str, config: TrainConfig, device: torch.device) -> nn.Module:
    """The model as `strategy` trains it (moved to `device`; compiled where asked)."""
    model = model.to(device)
    if strategy == DDP:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(
            model,
            device_ids=[device.index] if device.type == "cuda" else None,
            bucket_cap_mb=config.bucket_mb,
            gradient_as_bucket_view=config.gradient_as_bucket_view,
        )
    elif strategy == FSDP2:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard

        mesh = init_device_mesh(device.type, (torch.distributed.get_world_size(),))
        policy = MixedPrecisionPolicy(
            param_dtype=torch.bfloat16 if config.precision == "bf16" else None,
            reduce_dtype=torch.float32,
        )
        for block in model.blocks:
            fully_shard(block, mesh=mesh, mp_policy=policy)
        fully_shard(model, mesh=mesh, mp_policy=policy)
    return torch.compile(model) if config.compile else model


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    micro_batches: list[torch.Tensor],
    strategy: str,
    autocast: Any,
) -> torch.Tensor:
    """One optimiser step over this rank's micro-batches; the rank's mean loss (detached).

    Each micro-batch's loss is divided by their count, so the accumulated gradient is the mean
    over the rank's sequences; DDP and FSDP2 then average over ranks: the global batch's mean.
    """
    total = torch.zeros((), device=micro_batches[0].device)
    for index, batch in enumerate(micro_batches):
        last = index == len(micro_batches) - 1
        with _sync_only_if(model, strategy, last), autocast():
            loss = lm_loss(model, batch) / len(micro_batches)
        loss.backward()
        total += loss.detach()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return total


def _sync_only_if(model: nn.Module, strategy: str, last: bool) -> Any:
    """No gradient communication before the last micro-batch (DDP no_sync; FSDP2's flag)."""
    target = getattr(model, "_orig_mod", model)  # through torch.compile's wrapper
    if strategy == DDP and not last:
        return target.no_sync()
    if strategy == FSDP2:
        target.set_requires_gradient_sync(last)
    return contextlib.nullcontext()
