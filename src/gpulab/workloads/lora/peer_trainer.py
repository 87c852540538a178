"""The peer: the same fine-tune through transformers.Trainer + PEFT, in a `TrainerSetup`.

Trainer runs with its defaults except the values that define the comparison (`explicit` below)
and those of its set-up (`trainer_setups`: the defaults, or the strongest one), on the same
pre-tokenised sequences through HF's own collators. Its throughput counts trained tokens only,
after the same warm-up steps.
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
from gpulab.workloads.lora.trainer_setups import TrainerSetup, defaults_setup

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


def explicit_arguments(config: FinetuneConfig, setup: TrainerSetup | None = None) -> dict[str, Any]:
    """The TrainingArguments that define the comparison plus the set-up's; the rest stay default."""
    setup = setup or defaults_setup()
    explicit: dict[str, Any] = {
        "max_steps": config.steps,
        "per_device_train_batch_size": setup.batch_size or config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "save_strategy": "no",  # no checkpoint writes inside the timed loop
        "report_to": "none",  # no wandb/tensorboard
        "disable_tqdm": True,
    }
    return explicit | setup.arguments()


def estimated_padded_positions(
    sequences: Sequence[TokenSequence],
    config: FinetuneConfig,
    setup: TrainerSetup | None = None,
) -> int:
    """Positions Trainer will compute (each batch padded to its longest), from seeded shuffles.

    Trainer's sampler draws its own order, so this is an estimate for a progress bar's plan; a
    flattening set-up computes its batches' tokens and no padding.
    """
    lengths = [len(s.input_ids) for s in sequences] or [config.seq_len]
    if setup is not None and setup.fixed_tokens:
        return config.steps * config.grad_accum * setup.fixed_tokens
    if setup is not None and setup.flatten:
        per_batch = (setup.sequences_per_batch or config.batch_size) * sum(lengths) / len(lengths)
        return round(config.steps * config.grad_accum * per_batch)
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
    setup: TrainerSetup | None = None,
    progress: ProgressFn = no_progress,
) -> dict[str, Any]:
    """transformers.Trainer on the same PEFT model and sequences, in the given set-up (defaults).

    `progress` hears the positions Trainer has computed, of an estimate made up front. A set-up
    with `torch_compile` whose compile fails runs again eagerly; the result says why.
    """
    setup = setup or defaults_setup()
    try:
        return _run_trainer(config, prepared, measure_from, setup, progress)
    except Exception as err:
        if not setup.torch_compile or "out of memory" in str(err).lower():
            raise
        reason = f"torch_compile=True failed: {type(err).__name__}: {str(err)[:300]}"
        return _run_trainer(config, prepared, measure_from, setup.without_compile(reason), progress)


def _run_trainer(
    config: FinetuneConfig,
    prepared: Prepared,
    measure_from: int,
    setup: TrainerSetup,
    progress: ProgressFn,
) -> dict[str, Any]:
    transformers = _import_transformers_with_trainer()
    planned = estimated_padded_positions(prepared.train_sequences, config, setup)
    plan = PlannedProgress(progress, side_costs(config, prepared, planned))
    reset_peak_memory()
    model, _ = fresh_lora_model(config)
    if setup.flatten:
        # With a KV cache (transformers' default, use_cache=True, even in training) the mask
        # ignores restarting position ids and flattened documents attend to each other.
        model.get_base_model().config.use_cache = False
    before = evaluate(
        model, prepared.val_blocks, precision="fp32", progress=plan.phase("scoring before")
    )
    features = setup.features(prepared.train_sequences, config.seed)
    collator = CountingCollator(setup.collator(transformers, prepared.tokenizer))
    training = plan.phase("training")
    timer = _window_timer(transformers, measure_from, config, collator, training, planned)
    explicit = explicit_arguments(config, setup)
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
    after = evaluate(
        trainer.model, prepared.val_blocks, precision="fp32", progress=plan.phase("scoring after")
    )
    out = _figures(config, measure_from, setup, collator, timer)
    out.update(
        train_seconds=train_seconds,
        final_train_loss=float(output.training_loss),
        eval_loss_before=before.loss,
        eval_loss=after.loss,
        perplexity=after.perplexity,
        peak_memory_mib=peak_memory_mib(),
        attention=getattr(model.config, "_attn_implementation", None),
        arguments={
            "explicit": explicit,
            "resolved_defaults": {name: str(getattr(args, name)) for name in _REPORTED_DEFAULTS},
            "collator": setup.collator_name(),
            "model_config_use_cache": bool(model.get_base_model().config.use_cache),
            "transformers": transformers.__version__,
        },
    )
    del trainer, model
    return out


def _figures(
    config: FinetuneConfig,
    measure_from: int,
    setup: TrainerSetup,
    collator: CountingCollator,
    timer: Any,
) -> dict[str, Any]:
    """Trained tokens/s after warm-up, padding, the timed windows and how the set-up ran."""
    batches = config.steps * config.grad_accum
    measured_tokens = sum(collator.counts[measure_from * config.grad_accum : batches])
    measured_seconds = timer.ended - timer.started
    trained_tokens = sum(collator.counts[:batches])
    return {
        "setup": setup.name,
        "label": setup.label,
        "tokens_per_s": measured_tokens / measured_seconds if measured_seconds > 0 else 0.0,
        "precision": "bf16" if setup.bf16 else "fp32",
        "packing": setup.flatten,
        "documents_apart": True,  # padded rows, or flattening with restarting position ids
        "sequences_per_batch": setup.sequences_per_batch or config.batch_size,
        "fixed_tokens": setup.fixed_tokens,
        "torch_compile": {
            "ran": setup.torch_compile,
            "outcome": setup.compile_skipped or ("compiled" if setup.torch_compile else "off"),
        },
        "padding_fraction": 1 - trained_tokens / max(1, sum(collator.padded[:batches])),
        "trained_tokens": trained_tokens,
        "measured_tokens": measured_tokens,
        "measured_seconds": measured_seconds,
        "windows": [w.__dict__ for w in timer.windows],
    }


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
