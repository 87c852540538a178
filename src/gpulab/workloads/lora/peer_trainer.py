"""The peer: the same fine-tune through transformers.Trainer + PEFT, default TrainingArguments.

Trainer runs with its defaults except the values that define the comparison (`explicit` below),
and gets the same pre-tokenised sequences through HF's standard `DataCollatorForSeq2Seq`
(dynamic padding). Its throughput counts trained tokens only, after the same warm-up steps.
"""

from __future__ import annotations

import random
import tempfile
import time
import warnings
from collections.abc import Sequence
from typing import Any

from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import synchronize
from gpulab.workloads.lora.blocks import TokenSequence
from gpulab.workloads.lora.comparison_setup import (
    Prepared,
    fresh_lora_model,
    peak_memory_mib,
    reset_peak_memory,
    side_costs,
)
from gpulab.workloads.lora.config import FinetuneConfig
from gpulab.workloads.lora.evaluate import evaluate
from gpulab.workloads.lora.objective import IGNORE_INDEX
from gpulab.workloads.lora.progress import PlannedProgress, Window

# Trainer's defaults that decide its speed, recorded as it resolved them.
_REPORTED_DEFAULTS = (
    "optim",
    "bf16",
    "fp16",
    "tf32",
    "lr_scheduler_type",
    "warmup_steps",
    "max_grad_norm",
    "weight_decay",
    "adam_beta1",
    "adam_beta2",
    "dataloader_pin_memory",
    "dataloader_num_workers",
    "torch_compile",
    "gradient_checkpointing",
    "logging_steps",
)


def explicit_arguments(config: FinetuneConfig, bf16: bool = False) -> dict[str, Any]:
    """The TrainingArguments that define the comparison; everything else stays the default."""
    explicit: dict[str, Any] = {
        "max_steps": config.steps,
        "per_device_train_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "save_strategy": "no",  # no checkpoint writes inside the timed loop
        "report_to": "none",  # no wandb/tensorboard
        "disable_tqdm": True,
    }
    if bf16:
        explicit["bf16"] = True
    return explicit


def estimated_padded_positions(sequences: Sequence[TokenSequence], config: FinetuneConfig) -> int:
    """Positions Trainer will compute (each batch padded to its longest), from seeded shuffles.

    Trainer's sampler draws its own order, so this is an estimate for a progress bar's plan.
    """
    lengths = [len(s.input_ids) for s in sequences] or [config.seq_len]
    rng = random.Random(config.seed)
    order: list[int] = []
    batches = config.steps * config.grad_accum
    while len(order) < batches * config.batch_size:
        order += rng.sample(range(len(lengths)), len(lengths))
    total = 0
    for start in range(0, batches * config.batch_size, config.batch_size):
        total += config.batch_size * max(
            lengths[i] for i in order[start : start + config.batch_size]
        )
    return total


def run_trainer(
    config: FinetuneConfig,
    prepared: Prepared,
    measure_from: int,
    bf16: bool = False,
    progress: ProgressFn = no_progress,
) -> dict[str, Any]:
    """transformers.Trainer on the same PEFT model and sequences, default TrainingArguments.

    `progress` hears the padded positions Trainer has computed, of an estimate made up front.
    """
    transformers = _import_transformers_with_trainer()
    planned = estimated_padded_positions(prepared.train_sequences, config)
    plan = PlannedProgress(progress, side_costs(config, prepared, planned))
    reset_peak_memory()
    model, _ = fresh_lora_model(config)
    before = evaluate(
        model, prepared.val_blocks, precision="fp32", progress=plan.phase("scoring before")
    )
    features = [{"input_ids": s.input_ids, "labels": s.labels} for s in prepared.train_sequences]
    collator = CountingCollator(
        transformers.DataCollatorForSeq2Seq(
            prepared.tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX
        )
    )
    training = plan.phase("training")
    timer = _window_timer(transformers, measure_from, config, collator, training, planned)
    explicit = explicit_arguments(config, bf16)
    with tempfile.TemporaryDirectory() as output_dir, warnings.catch_warnings():
        # Trainer's own chatter (pin_memory without an accelerator, deprecations) is not ours.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        args = transformers.TrainingArguments(output_dir=output_dir, **explicit)
        trainer = transformers.Trainer(
            model=model,
            args=args,
            train_dataset=ListDataset(features),
            data_collator=collator,
            callbacks=[timer],
        )
        # With disable_tqdm, Trainer prints its log dicts; our callback reports progress instead.
        trainer.remove_callback(transformers.PrinterCallback)
        started = time.perf_counter()
        output = trainer.train()
        synchronize()
        train_seconds = time.perf_counter() - started
    batches = config.steps * config.grad_accum
    measured_tokens = sum(collator.counts[measure_from * config.grad_accum : batches])
    measured_seconds = timer.ended - timer.started
    trained_tokens = sum(collator.counts[:batches])
    after = evaluate(
        trainer.model, prepared.val_blocks, precision="fp32", progress=plan.phase("scoring after")
    )
    out = {
        "tokens_per_s": measured_tokens / measured_seconds if measured_seconds > 0 else 0.0,
        "precision": "bf16" if bf16 else "fp32",
        "packing": False,
        "padding_fraction": 1 - trained_tokens / max(1, sum(collator.padded[:batches])),
        "trained_tokens": trained_tokens,
        "measured_tokens": measured_tokens,
        "measured_seconds": measured_seconds,
        "train_seconds": train_seconds,
        "windows": [w.__dict__ for w in timer.windows],
        "final_train_loss": float(output.training_loss),
        "eval_loss_before": before.loss,
        "eval_loss": after.loss,
        "perplexity": after.perplexity,
        "peak_memory_mib": peak_memory_mib(),
        "arguments": {
            "explicit": explicit,
            "resolved_defaults": {name: str(getattr(args, name)) for name in _REPORTED_DEFAULTS},
            "collator": "DataCollatorForSeq2Seq(padding=True, label_pad_token_id=-100)",
            "transformers": transformers.__version__,
        },
    }
    del trainer, model
    return out


def _import_transformers_with_trainer() -> Any:
    """`transformers` with its Trainer importable inside a marimo notebook.

    transformers treats any process that imported marimo as a Jupyter notebook and, when its
    trainer module is imported, imports IPython for a notebook progress bar; marimo does not need
    IPython, so the import fails where it is not installed. We run Trainer with `disable_tqdm`, so
    the notebook progress bar is never used: import the trainer module with that check off. (A
    transformers bug as of 5.23; a no-op when IPython is installed or outside marimo.)
    """
    import importlib
    import importlib.util
    import sys

    import transformers

    if "transformers.trainer" in sys.modules or importlib.util.find_spec("IPython") is not None:
        return transformers
    utils = importlib.import_module("transformers.utils")
    original = getattr(utils, "is_in_notebook", None)
    if original is None:  # a transformers without the check
        return transformers
    utils.is_in_notebook = lambda: False
    try:
        importlib.import_module("transformers.trainer")
    finally:
        utils.is_in_notebook = original
    return transformers


class ListDataset:
    """A map-style dataset over pre-tokenised features (what `datasets.Dataset` would hold)."""

    def __init__(self, features: list[dict[str, list[int]]]) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.features[index]


class CountingCollator:
    """Wraps Trainer's collator to count each batch's trained tokens, in the order batches are made."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts: list[int] = []
        self.padded: list[int] = []
        self.positions: list[int] = []  # every position computed, padding included

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.inner(features)
        labels = batch["labels"]
        self.counts.append(int((labels[:, 1:] != IGNORE_INDEX).sum()))
        self.padded.append(int(labels[:, 1:].numel()))
        self.positions.append(int(labels.numel()))
        return batch


def _window_timer(
    transformers: Any,
    measure_from: int,
    config: FinetuneConfig,
    collator: CountingCollator,
    progress: ProgressFn,
    planned: int,
) -> Any:
    """A TrainerCallback: the window from step `measure_from` to the end, a timed window every
    `log_every` steps (as our loop keeps), and progress in padded positions after every step."""
    accum, log_every = config.grad_accum, config.log_every

    class WindowTimer(transformers.TrainerCallback):
        started = 0.0
        ended = 0.0

        def __init__(self) -> None:
            self.windows: list[Window] = []
            self._opened = (0, 0.0)  # (step, clock) where the current window began

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            synchronize()
            self._opened = (0, time.perf_counter())
            if measure_from == 0:
                self.started = self._opened[1]

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            step = state.global_step
            if step == measure_from:
                synchronize()
                self.started = time.perf_counter()
            if step % log_every == 0 or step == state.max_steps:
                synchronize()
                now, (first, opened) = time.perf_counter(), self._opened
                tokens = sum(collator.counts[first * accum : step * accum])
                self.windows.append(Window(first, step - first, tokens, now - opened))
                self._opened = (step, now)
            done = sum(collator.positions[: step * accum])
            progress(min(done, planned), planned, f"step {step}/{state.max_steps}")

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            synchronize()
            self.ended = time.perf_counter()
            progress(planned, planned, f"step {state.global_step}/{state.max_steps}")

    return WindowTimer()
