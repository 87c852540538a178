"""One training run: a model, a domain, a seed; epochs that can stop, checkpoint and resume.

Every epoch draws its batch order from a generator seeded by (seed, epoch) and reseeds torch the
same way, so a run resumed from its epoch-k checkpoint (model, optimiser, history) takes the
same steps as one that never stopped: resuming reproduces the uninterrupted loss curve.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .checkpoints import CheckpointStore
from .config import ReasoningConfig
from .evaluate import Evaluation, evaluate

EpochFn = Callable[[dict[str, Any]], None]


@dataclass
class RunResult:
    """What one (domain, model, seed) run did."""

    domain: str
    model: str
    seed: int
    history: list[dict[str, Any]] = field(default_factory=list)
    test: Evaluation | None = None
    best_epoch: int = 0
    resumed_from: int = 0
    stopped: bool = False
    train_seconds: float = 0.0
    graphs_per_s: float = 0.0
    refused: list[str] = field(default_factory=list)
    state: Any = None  # the best model's weights, kept in memory for the cross-domain table

    @property
    def key(self) -> str:
        return run_key(self.domain, self.model, self.seed)


def run_key(domain: str, model: str, seed: int) -> str:
    return f"{domain}-{model}-s{seed}"


def _epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch) % 2**32


def train_epoch(
    model: Any,
    optimiser: Any,
    graphs: list[Any],
    config: ReasoningConfig,
    seed: int,
    epoch: int,
    device: Any,
) -> dict[str, float]:
    """One pass over the training graphs in this epoch's order; mean losses and accuracy."""
    import torch
    from torch_geometric.data import Batch

    torch.manual_seed(_epoch_seed(seed, epoch))
    order = torch.randperm(
        len(graphs), generator=torch.Generator().manual_seed(_epoch_seed(seed, epoch))
    )
    model.train()
    sums = {"loss": 0.0, "ce": 0.0, "recon": 0.0, "correct": 0.0}
    for start in range(0, len(graphs), config.batch_size):
        batch = Batch.from_data_list(
            [graphs[int(i)] for i in order[start : start + config.batch_size]]
        ).to(device)
        logits, recon = model(batch)
        ce = torch.nn.functional.cross_entropy(logits, batch.y)
        loss = ce
        if recon is not None:
            rec = torch.nn.functional.cross_entropy(recon, batch.node_type)
            loss = ce + config.recon_weight * rec
            sums["recon"] += float(rec.detach()) * batch.num_graphs
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        sums["loss"] += float(loss.detach()) * batch.num_graphs
        sums["ce"] += float(ce.detach()) * batch.num_graphs
        sums["correct"] += float((logits.argmax(1) == batch.y).sum())
    n = max(len(graphs), 1)
    return {
        "train_loss": sums["ce"] / n,
        "train_total_loss": sums["loss"] / n,
        "recon_loss": sums["recon"] / n,
        "train_acc": sums["correct"] / n,
    }


@dataclass
class RunContext:
    """Where a run reports to: progress in graph-epochs, each epoch's row, a stop flag."""

    progress: ProgressFn = no_progress
    on_epoch: EpochFn | None = None
    should_stop: Callable[[], bool] = lambda: False
    store: CheckpointStore | None = None
    resume: bool = True
    done_before: float = 0.0  # work units already done by earlier runs of the suite
    total: float = 1.0


def train_run(
    data: Any,
    model_name: str,
    seed: int,
    config: ReasoningConfig,
    device: Any,
    ctx: RunContext,
    stop_after: int | None = None,
) -> RunResult:
    """Train `model_name` on `data` from `seed` (resuming from a good checkpoint if asked)."""
    import torch

    from gpulab.repro import seed_everything

    from .model import build_model

    seed_everything(seed)
    model = build_model(model_name, config).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    result = RunResult(data.domain, model_name, seed)
    best_acc, best_state = -1.0, None
    if ctx.store is not None and ctx.resume:
        entry, state, result.refused = ctx.store.latest_good(result.key, config.model_settings())
        if state is not None and entry is not None:
            model.load_state_dict(state["model"])
            optimiser.load_state_dict(state["optimiser"])
            result.history = list(state["history"])
            result.resumed_from = entry.epoch
            best_acc, result.best_epoch = state["best_acc"], state["best_epoch"]
            best_state = state.get("best_model", state["model"])
    last = config.epochs if stop_after is None else min(config.epochs, stop_after)
    per_epoch = len(data.train)
    started = time.perf_counter()
    for epoch in range(result.resumed_from + 1, last + 1):
        row = {
            "epoch": epoch,
            **train_epoch(model, optimiser, data.train, config, seed, epoch, device),
        }
        val = evaluate(model, data.val, device)
        row |= {"val_loss": val.loss, "val_acc": val.accuracy}
        result.history.append(row)
        if val.accuracy > best_acc:
            best_acc, result.best_epoch = val.accuracy, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if ctx.store is not None and epoch % config.checkpoint_every == 0:
            state = {
                "model": model.state_dict(),
                "optimiser": optimiser.state_dict(),
                "history": result.history,
                "best_acc": best_acc,
                "best_epoch": result.best_epoch,
                "best_model": best_state,
            }
            ctx.store.save(
                result.key, epoch, state, {k: float(v) for k, v in row.items()}, config.to_dict()
            )
        if ctx.on_epoch is not None:
            ctx.on_epoch(
                {"run": result.key, "domain": data.domain, "model": model_name, "seed": seed, **row}
            )
        done = ctx.done_before + per_epoch * (epoch - result.resumed_from)
        ctx.progress(done, ctx.total, f"{result.key} epoch {epoch}/{config.epochs}")
        if ctx.should_stop():
            result.stopped = epoch < config.epochs
            break
    result.train_seconds = time.perf_counter() - started
    trained = len(result.history) - sum(r["epoch"] <= result.resumed_from for r in result.history)
    result.graphs_per_s = per_epoch * trained / result.train_seconds if trained else 0.0
    if best_state is not None:
        model.load_state_dict(best_state)
    result.state = model
    result.test = evaluate(model, data.test, device)
    return result
