"""The training loop, read like nanoGPT's `train.py`: set up once, then step, log, repeat.

The choices that make it fast are all visible here: bf16 autocast (fp16 + GradScaler on GPUs
without bf16), fused AdamW on CUDA, gradient clipping, warm-up + cosine schedule, gradient
accumulation weighted by tokens, the whole data set on the device up front (rows gathered by
index), the output head and loss in chunks (`objective.chunked_causal_lm_loss`), optionally each
decoder layer compiled (`CompiledLayers`) and on CUDA the whole step captured as one CUDA
graph and replayed (`GraphedStep`, `cuda_graph`), and one host sync per `log_every` steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gpulab.errors import UsageError
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import Timing
from gpulab.workloads.lora.attention_mask import document_causal_mask
from gpulab.workloads.lora.blocks import Blocks
from gpulab.workloads.lora.compiled_layers import CompiledLayers, compiled_graph_count
from gpulab.workloads.lora.config import FinetuneConfig, autocast, resolve_precision
from gpulab.workloads.lora.graphed_step import GraphedStep, graph_ready_optimizer
from gpulab.workloads.lora.objective import (
    IGNORE_INDEX,
    causal_lm_loss,
    chunked_causal_lm_loss,
    split_head,
)
from gpulab.workloads.lora.progress import (
    LossLog,
    StepClock,
    TrainProgress,
    Window,
    window_timing,
)

if TYPE_CHECKING:
    import torch


def learning_rate_at(step: int, config: FinetuneConfig) -> float:
    """Linear warm-up to the peak, then cosine decay to `min_lr_ratio` of it at the last step."""
    peak = config.learning_rate
    if step < config.warmup_steps:
        return peak * (step + 1) / config.warmup_steps
    span = max(1, config.steps - 1 - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / span)
    return peak * (
        config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))
    )


@dataclass
class TrainResult:
    """What a run did: every step's loss, trained tokens and times, how its loss and layers ran."""

    losses: list[tuple[int, float]]  # (step, training loss) for every step
    steps: int
    trained_tokens: int  # non-padding, non-prompt tokens over all steps
    seconds: float  # wall time of the whole loop, compile and warm-up included
    measured_tokens: int  # tokens after the first `measure_from` steps (warm-up excluded)
    measured_seconds: float
    precision: str
    batch_size: int
    measured_steps: int
    grad_accum: int
    config: dict[str, Any] = field(default_factory=dict)
    first_step_seconds: float = 0.0  # step 0 alone: compile (if any), CUDA/cuBLAS warm-up
    compiled: bool = False  # the decoder layers ran compiled
    compile_error: str | None = None  # why `compile=True` fell back to eager
    compiled_graphs: int = 0  # graphs torch.compile built during the loop
    loss_path: str = "full logits"
    cuda_graph: bool = False  # the steps after warm-up replayed one captured CUDA graph
    cuda_graph_error: str | None = None  # why capturing failed (the steps then ran eagerly)
    windows: list[Window] = field(default_factory=list)  # timed every `log_every` steps
    measure_from: int = 0

    def step_timing(self) -> Timing | None:
        """Seconds per step over the windows after warm-up: the median and its spread."""
        return window_timing(self.windows, self.measure_from)

    @property
    def tokens_per_s(self) -> float:
        """Steady-state throughput of trained tokens (warm-up steps excluded)."""
        return self.measured_tokens / self.measured_seconds if self.measured_seconds > 0 else 0.0

    @property
    def steady_step_seconds(self) -> float:
        """Mean time of one step after warm-up."""
        return self.measured_seconds / max(1, self.measured_steps)

    @property
    def compile_seconds(self) -> float | None:
        """Step 0's time beyond a steady step: tracing and compiling (an estimate; None if eager)."""
        if not self.compiled:
            return None
        return max(0.0, self.first_step_seconds - self.steady_step_seconds)


@dataclass
class TrainingState:
    """What every step uses, built once before the loop (`start_training`)."""

    model: Any
    config: FinetuneConfig
    precision: str  # resolved: bf16, fp16 or fp32
    params: list[Any]  # the trainable (adapter) parameters
    optimizer: Any
    scaler: Any  # GradScaler: active for fp16 only
    data: Blocks  # every training row, already on the device
    order: torch.Tensor  # row indices, batch_size * grad_accum per step, on the device
    losses: torch.Tensor  # [steps] each step's mean loss, filled on the device
    tokens: torch.Tensor  # [steps] each step's trained tokens
    head_split: tuple[Any, Any] | None  # (body, head) when the loss runs the head in chunks
    # the attention mask built here and passed explicitly (a captured step: one code path)
    explicit_mask: bool = False

    @property
    def planned_tokens(self) -> int:
        """Trained tokens the whole run will see: the labelled positions of every ordered row."""
        per_row = (self.data.labels[:, 1:] != IGNORE_INDEX).sum(dim=1)
        return int(per_row[self.order].sum())

    @property
    def device(self) -> Any:
        return self.data.input_ids.device


def start_training(model: Any, blocks: Blocks, config: FinetuneConfig) -> TrainingState:
    """Optimizer, scaler, the data on the device and the order its rows are trained in."""
    import torch

    device = next(model.parameters()).device
    precision = resolve_precision(config.precision, device)
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UsageError("the model has no trainable parameters: apply LoRA first")
    optimizer = torch.optim.AdamW(
        params,
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
        fused=device.type == "cuda",  # one kernel for all adapter tensors
    )
    data = blocks.to(device)
    # The head moves into the chunked loss where logits are plainly head(hidden); fp16 keeps the
    # reference path, whose loss-scaled gradient is cast to fp16 only after scaling.
    head_split = split_head(model) if config.loss_chunk_tokens and precision != "fp16" else None
    return TrainingState(
        model=model,
        config=config,
        precision=precision,
        params=params,
        optimizer=optimizer,
        scaler=torch.amp.GradScaler(device.type, enabled=precision == "fp16"),
        data=data,
        order=_row_order(data.rows, config).to(device),
        losses=torch.zeros(config.steps, device=device),
        tokens=torch.zeros(config.steps, device=device, dtype=torch.long),
        head_split=head_split,
    )


def _row_order(rows: int, config: FinetuneConfig) -> torch.Tensor:
    """Seeded shuffles of every row, epoch after epoch, cut to what the steps need."""
    import torch

    per_step = config.batch_size * config.grad_accum
    generator = torch.Generator().manual_seed(config.seed)
    epochs = math.ceil(per_step * config.steps / rows)
    order = torch.cat([torch.randperm(rows, generator=generator) for _ in range(epochs)])
    return order[: per_step * config.steps]


def summed_loss(
    state: TrainingState,
    input_ids: torch.Tensor,
    labels: torch.Tensor,
    position_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Summed next-token loss of one micro-batch, under autocast; the head in chunks if it can.

    `position_ids` that restart per document make transformers' attention block-diagonal: it
    derives the document mask from them, or (`explicit_mask`, for a captured step) the same
    mask is built by `document_causal_mask` and passed in."""
    inputs = {"input_ids": input_ids, "use_cache": False}
    if position_ids is not None:
        inputs["position_ids"] = position_ids
    if state.explicit_mask:
        inputs["attention_mask"] = document_causal_mask(
            position_ids, input_ids.shape[1], input_ids.device
        )
    with autocast(state.precision, state.device):
        if state.head_split is not None:
            body, head = state.head_split
            hidden = body(**inputs).last_hidden_state
            return chunked_causal_lm_loss(hidden, head, labels, state.config.loss_chunk_tokens)
        logits = state.model(**inputs).logits
    return causal_lm_loss(logits, labels, reduction="sum")


def train_step(state: TrainingState, step: int, learning_rate: float) -> None:
    """One optimizer step: `grad_accum` micro-batches, every token weighted equally, then AdamW."""
    import torch

    config, optimizer, scaler = state.config, state.optimizer, state.scaler
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    per_step = config.batch_size * config.grad_accum
    rows = state.order[step * per_step : (step + 1) * per_step].view(config.grad_accum, -1)
    labels = state.data.labels[rows]  # [accum, batch, seq]
    # Weight every token equally across micro-batches: sum of losses / tokens in the step.
    tokens = (labels[..., 1:] != IGNORE_INDEX).sum()
    for micro in range(config.grad_accum):
        input_ids = state.data.input_ids[rows[micro]]
        positions = state.data.position_ids
        positions = None if positions is None else positions[rows[micro]]
        loss = summed_loss(state, input_ids, labels[micro], positions) / tokens.clamp(min=1)
        scaler.scale(loss).backward()
        state.losses[step] += loss.detach()
    if config.grad_clip > 0:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(state.params, config.grad_clip)
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    state.tokens[step] = tokens


def _graphed(state: TrainingState) -> GraphedStep | None:
    """The captured-step runner where a CUDA graph can hold the step (CUDA, no GradScaler)."""
    if not (state.config.cuda_graph and state.device.type == "cuda"):
        return None
    if state.precision == "fp16":  # GradScaler's skipped steps need the host
        return None
    state.optimizer = graph_ready_optimizer(state.params, state.config, state.device)
    state.explicit_mask = True  # warm-up and capture must call the layers the same way
    return GraphedStep(state, summed_loss)


def _run_step(
    state: TrainingState, graphed: GraphedStep | None, step: int, learning_rate: float
) -> None:
    """A captured (or capturing) step where possible; a capture that fails costs speed only."""
    if graphed is None or graphed.error is not None:
        train_step(state, step, learning_rate)
        return
    try:
        graphed.run(step, learning_rate)
    except Exception as err:
        import torch

        if isinstance(err, torch.cuda.OutOfMemoryError):
            raise
        graphed.error = f"{type(err).__name__}: {str(err).splitlines()[0][:240]}"
        state.optimizer.zero_grad(set_to_none=True)
        train_step(state, step, learning_rate)


def _compiling_step(
    state: TrainingState, layers: CompiledLayers, graphed: GraphedStep | None, lr: float
) -> None:
    """Step 0 with compiled layers compiles them: a failure must cost speed, not the run."""
    import torch

    try:
        _run_step(state, graphed, 0, lr)
    except torch.cuda.OutOfMemoryError:
        raise
    except Exception as err:
        layers.restore(err)  # eager from here on; redo step 0 from the same state
        state.optimizer.zero_grad(set_to_none=True)
        state.losses[0] = 0.0
        torch.manual_seed(state.config.seed)
        _run_step(state, graphed, 0, lr)


def train(
    model: Any,
    blocks: Blocks,
    config: FinetuneConfig,
    on_log: Callable[[TrainProgress], None] | None = None,
    measure_from: int | None = None,
    progress: ProgressFn = no_progress,
) -> TrainResult:
    """The training loop. Returns per-step losses and trained-token throughput.

    `measure_from` (default: min(10, steps // 5)) steps are excluded from the throughput: they pay
    for compiling, CUDA context, cuBLAS heuristics and allocator warm-up, not for training.
    `progress` hears trained tokens (of the run's total) every `log_every` steps.
    """
    import torch

    state = start_training(model, blocks, config)
    measure_from = min(10, config.steps // 5) if measure_from is None else measure_from
    measure_from = max(0, min(measure_from, config.steps - 1))
    log = LossLog(
        state.losses, state.tokens, config.log_every, on_log, progress, state.planned_tokens
    )
    torch.manual_seed(config.seed)  # LoRA dropout masks: the same run gives the same numbers
    model.train()
    graphs_before = compiled_graph_count()
    layers = CompiledLayers(model, config.compile_backend, enabled=config.compile)
    graphed = _graphed(state)
    clock = StepClock(state.device, measure_from)
    with layers:
        for step in range(config.steps):
            lr = learning_rate_at(step, config)
            clock.step_starts(step)
            if step == 0 and layers.active:
                _compiling_step(state, layers, graphed, lr)
            else:
                _run_step(state, graphed, step, lr)
            clock.step_ends(step)
            log.step_done(step, lr, clock)
        compiled = layers.active  # still compiled at the end: no fallback happened
    clock.stop()
    model.eval()
    return TrainResult(
        losses=log.finish(),
        steps=config.steps,
        trained_tokens=int(state.tokens.sum()),
        seconds=clock.seconds,
        measured_tokens=int(state.tokens[measure_from:].sum()),
        measured_seconds=clock.measured_seconds,
        precision=state.precision,
        batch_size=config.batch_size,
        grad_accum=config.grad_accum,
        measured_steps=config.steps - measure_from,
        config=config.to_dict(),
        first_step_seconds=clock.first_step_seconds,
        compiled=compiled,
        compile_error=layers.error,
        compiled_graphs=compiled_graph_count() - graphs_before,
        cuda_graph=graphed is not None and graphed.graph is not None and graphed.error is None,
        cuda_graph_error=None if graphed is None else graphed.error,
        loss_path=(
            f"head + cross-entropy in chunks of {config.loss_chunk_tokens} tokens"
            if state.head_split is not None
            else "full logits"
        ),
        windows=log.windows,
        measure_from=measure_from,
    )
