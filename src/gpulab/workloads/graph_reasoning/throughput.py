"""Training graphs per second: one optimiser step on a fixed batch, warm, timed on a device."""

from __future__ import annotations

from typing import Any

from gpulab.timing import Timing, benchmark

from .config import ReasoningConfig


def train_throughput(
    model_name: str,
    graphs: list[Any],
    config: ReasoningConfig,
    device: str,
    repeats: int,
    batch_size: int,
) -> Timing:
    """Seconds per training step (forward, both losses, backward, Adam) of one batch of
    `batch_size` graphs: `graphs` repeated as often as it takes (the cost of a step depends on
    the graphs' sizes, not on whether two of them are equal)."""
    import torch
    from torch_geometric.data import Batch

    from gpulab.repro import seed_everything

    from .model import build_model

    seed_everything(0)
    model = build_model(model_name, config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    repeated = graphs * -(-batch_size // len(graphs))
    batch = Batch.from_data_list(repeated[:batch_size]).to(device)

    def step() -> None:
        logits, recon = model(batch)
        loss = torch.nn.functional.cross_entropy(logits, batch.y)
        if recon is not None:
            rec = torch.nn.functional.cross_entropy(recon, batch.node_type)
            loss = loss + config.recon_weight * rec
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()

    return benchmark(
        step,
        warmup=2,
        repeats=repeats,
        work_per_call=float(batch.num_graphs),
        unit="graphs",
        device=device if device.startswith("cuda") else None,
    )
