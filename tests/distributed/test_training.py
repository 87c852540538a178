"""The real torchrun path on gloo with 2 CPU processes: DDP and FSDP2 must train exactly what one
process trains on the same global batch, a crashing rank must stop the launch with its rank
named, and no process of either launch may be left afterwards."""

from __future__ import annotations

import pytest
import torch

from gpulab.workloads import distributed
from gpulab.workloads.distributed import DDP, FSDP2, TrainConfig
from gpulab.workloads.distributed.data import as_tensor, corpus_bytes, global_batch

# fp32 on one CPU: only the order of the sums over ranks differs from one process.
TOLERANCE = 1e-4


def _one_process_losses(config: TrainConfig) -> list[float]:
    """The reference: a plain loop, one process, the whole global batch per step."""
    torch.manual_seed(config.seed)
    model = distributed.Gpt(config.seq_len, config.d_model, config.n_layers, config.n_heads)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    text, losses = as_tensor(corpus_bytes()), []
    for step in range(config.steps):
        batch = global_batch(text, step, config.global_batch, config.seq_len, config.seed)
        loss = distributed.lm_loss(model, batch)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def test_ddp_and_fsdp2_on_two_ranks_match_one_process() -> None:
    config = TrainConfig(strategies=(DDP, FSDP2), device="cpu", steps=6, accumulation=2)
    out = distributed.run_world(config, 2)
    reference = _one_process_losses(config)
    assert reference[-1] < reference[0]  # it trains
    for strategy in (DDP, FSDP2):
        losses = out["results"][strategy]["losses"]
        assert losses == pytest.approx(reference, rel=TOLERANCE), strategy
        assert out["results"][strategy]["batch"]["per_rank"] == config.global_batch // 2
    assert out["probe"]["ran"] and out["probe"]["bus_gb_per_s"] > 0
    assert distributed.group_members(out["pgid"]) == []


def test_a_crashing_rank_stops_the_launch_and_is_named() -> None:
    config = TrainConfig(strategies=(DDP,), device="cpu", crash_rank=1, crash_step=1)
    with pytest.raises(distributed.RankFailed) as failed:
        distributed.run_world(config, 2)
    assert failed.value.rank == 1
    assert "injected failure on rank 1 at step 1" in failed.value.message
    assert failed.value.pgid > 0
    assert distributed.group_members(failed.value.pgid) == []
