"""One optimizer step captured as a CUDA graph and replayed: the host stops being the limit.

A 135M-parameter model at 8k tokens per step launches thousands of small kernels; even with
compiled layers the host spends longer issuing them than the GPU spends running them. A CUDA
graph records the whole step once (gather the rows, forward, backward, clip, fused AdamW) and
replays it with one launch. What changes between steps lives in tensors the graph reads:
the rows to train (copied into a fixed buffer) and the learning rate (a device tensor: AdamW
with `capturable=True`). Gradients are created inside the graph, so each replay writes them
afresh instead of adding to the last step's. Dropout draws new masks every replay (the
generator's offset advances with it).

`GraphedStep.run(step, lr)` does the same as `train.train_step` (the tests compare both on the
CPU path, where nothing is captured); capture needs CUDA, a fixed shape and no host syncs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gpulab.cuda_graphs import warm_up_stream
from gpulab.workloads.lora.objective import IGNORE_INDEX

if TYPE_CHECKING:
    from gpulab.workloads.lora.train import TrainingState

WARMUP_STEPS = 3  # eager steps on a side stream before capture: compile, cuBLAS, allocator


class GraphedStep:
    """The step's fixed inputs and, after `WARMUP_STEPS` real steps, its captured graph."""

    def __init__(self, state: TrainingState, summed_loss: Any) -> None:
        import torch

        config = state.config
        self.state = state
        self.summed_loss = summed_loss
        self.per_step = config.batch_size * config.grad_accum
        self.rows = torch.zeros(self.per_step, dtype=torch.long, device=state.device)
        self.loss = torch.zeros((), device=state.device)
        self.tokens = torch.zeros((), dtype=torch.long, device=state.device)
        self.graph: Any = None
        self.capture = state.device.type == "cuda"
        self.error: str | None = None

    def _body(self) -> None:
        """One step from `self.rows`; writes `self.loss` and `self.tokens` (no host sync)."""
        import torch

        state, config = self.state, self.state.config
        rows = self.rows.view(config.grad_accum, -1)
        labels = state.data.labels[rows]
        tokens = (labels[..., 1:] != IGNORE_INDEX).sum()
        self.loss.zero_()
        for micro in range(config.grad_accum):
            input_ids = state.data.input_ids[rows[micro]]
            positions = state.data.position_ids
            positions = None if positions is None else positions[rows[micro]]
            loss = self.summed_loss(state, input_ids, labels[micro], positions)
            loss = loss / tokens.clamp(min=1)
            loss.backward()
            self.loss += loss.detach()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(state.params, config.grad_clip, foreach=True)
        state.optimizer.step()
        self.tokens.copy_(tokens)

    def run(self, step: int, learning_rate: float) -> None:
        """Train step `step`: eager for the first steps (on a side stream where capture follows),
        then captured once and replayed."""

        state = self.state
        for group in state.optimizer.param_groups:
            group["lr"].fill_(learning_rate)
        order = state.order[step * self.per_step : (step + 1) * self.per_step]
        self.rows.copy_(order)
        if self.graph is not None:
            self.graph.replay()
        elif not self.capture or step < WARMUP_STEPS:
            self._eager(check=step == WARMUP_STEPS - 1)
        else:
            self._capture()
        state.losses[step] = self.loss
        state.tokens[step] = self.tokens

    def _eager(self, check: bool = False) -> None:
        """An eager step (on a side stream where capture follows); with `check`, CUDA's sync
        check fails any host sync, so a step that cannot be captured is found here, before a
        capture would fail and leave the CUDA generator in capture mode."""
        if not self.capture:
            self._body()
            self.state.optimizer.zero_grad(set_to_none=True)
            return
        with warm_up_stream(check_syncs=check):
            self._body()
            self.state.optimizer.zero_grad(set_to_none=True)

    def _capture(self) -> None:
        import torch

        self.state.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._body()
        self.graph = graph
        graph.replay()  # capturing records the step without running it


def graph_ready_optimizer(params: list[Any], config: Any, device: Any) -> Any:
    """Fused AdamW whose learning rate is a device tensor and whose step count stays on the
    device: what a captured step needs (`capturable=True`)."""
    import torch

    on_cuda = device.type == "cuda"
    return torch.optim.AdamW(
        params,
        lr=torch.tensor(config.learning_rate, device=device),
        weight_decay=config.weight_decay,
        fused=on_cuda,
        foreach=False if not on_cuda else None,
        capturable=on_cuda,
    )
