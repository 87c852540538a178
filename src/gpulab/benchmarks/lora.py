"""LoRA fine-tuning: trained tokens/s of gpulab's loop vs transformers.Trainer + PEFT, same settings.

Both sides fine-tune the same model (same seed, same LoRA init) on the same documents with the same
sequence length, batch size, number of steps and peak learning rate; both are scored by the same
evaluation function on the same validation blocks. Trainer runs with its default TrainingArguments
except the values that define the comparison (listed in `details.trainer.arguments`), and gets the
same pre-tokenised sequences through HF's standard `DataCollatorForSeq2Seq` (dynamic padding).

Throughput counts only trained tokens (positions with a label, i.e. not padding) on both sides and
excludes the first `measure_from` steps on both sides (CUDA context, cuBLAS heuristics, allocator
warm-up, and on our side `torch.compile`, whose cost is reported separately as `compile_seconds`
next to the loop's total wall time). Trainer's default is fp32; to show how much of the gap is
precision, the full profile also runs Trainer with `bf16=True` and reports that ratio too
(`GPULAB_LORA_TRAINER_BF16=0` skips that reference run when GPU time is short; the report says so).

Our side in the full profile on CUDA: bf16 autocast, packed rows, fused AdamW, no per-step host
sync, the output head and loss computed in chunks (no full fp32 logits), and each decoder layer
compiled with `torch.compile` (a compile failure falls back to eager and is recorded). Trainer keeps
its defaults: `torch_compile=False` is one of them.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, replace
from typing import Any

from gpulab.bench import BenchResult
from gpulab.workloads import lora

PEER = "transformers.Trainer + PEFT (default TrainingArguments)"


@dataclass(frozen=True)
class BenchSettings:
    config: lora.FinetuneConfig
    measure_from: int  # steps excluded from throughput on both sides
    trainer_bf16: bool  # also run Trainer with bf16=True (GPUs with bf16)


PROFILES: dict[str, BenchSettings] = {
    # CPU, seconds: a tiny random Llama with a byte-level tokenizer, fp32 on both sides.
    "smoke": BenchSettings(
        lora.FinetuneConfig(
            model="random:tiny-llama",
            data="pydoc-topics",
            seq_len=128,
            batch_size=8,
            steps=24,
            learning_rate=1e-2,
            warmup_steps=3,
            max_documents=80,
            log_every=8,
        ),
        measure_from=4,
        trainer_bf16=False,
    ),
    # GPU: SmolLM2-135M's architecture with random weights (speed test; no GGUF on the GPU host),
    # its real tokenizer, Python's documentation as data, seq 512.
    "full": BenchSettings(
        lora.FinetuneConfig(
            model="random:smollm2-135m",
            data="python-docs",
            seq_len=512,
            batch_size=16,  # 8k tokens per step: the GPU, not kernel launches, sets the pace
            steps=300,
            learning_rate=2e-3,
            warmup_steps=20,
            log_every=50,
            compile=True,  # on CUDA only (see run): one compiled graph serves all 30 layers
        ),
        measure_from=10,
        trainer_bf16=True,
    ),
}


def run(profile: str) -> BenchResult:
    """`gpulab bench lora`: see the module docstring."""
    import os

    import torch

    settings = PROFILES[profile]
    config = settings.config
    if profile == "smoke":
        # A 120k-parameter model gains nothing from a second thread, and OpenMP threads spin
        # badly when a 2-core CI runner is shared; both sides run with the same setting.
        torch.set_num_threads(1)
    # Compiling pays off where kernel launches are the bottleneck (a GPU); on a CPU the C++
    # compile costs more than the run.
    config = replace(config, compile=config.compile and torch.cuda.is_available())
    trainer_bf16 = settings.trainer_bf16
    skip_bf16 = os.environ.get("GPULAB_LORA_TRAINER_BF16", "1").strip().lower() in ("0", "no")
    result = compare(config, settings.measure_from, trainer_bf16 and not skip_bf16)
    if trainer_bf16 and skip_bf16:
        result.details["trainer_bf16_skipped"] = "GPULAB_LORA_TRAINER_BF16=0 (GPU time)"
    return result


@dataclass
class _Prepared:
    tokenizer: Any
    train_sequences: list[lora.TokenSequence]
    val_blocks: lora.Blocks
    documents: tuple[int, int]
    source: str


def _prepare(config: lora.FinetuneConfig) -> _Prepared:
    tokenizer = lora.load_model(config.model, device="cpu", seed=config.seed).tokenizer
    split = lora.load_data(config)
    train_sequences = lora.tokenize_examples(split.train, tokenizer, config.seq_len)
    val_sequences = lora.tokenize_examples(split.val, tokenizer, config.seq_len)
    val_blocks = lora.make_blocks(val_sequences, config.seq_len, tokenizer.pad_token_id, False)
    return _Prepared(
        tokenizer, train_sequences, val_blocks, (len(split.train), len(split.val)), split.source
    )


def _fresh_lora_model(config: lora.FinetuneConfig) -> tuple[Any, lora.ModelBundle]:
    """The same base weights and the same LoRA init for every side (both seeded)."""
    bundle = lora.load_model(config.model, seed=config.seed)
    return lora.apply_lora(bundle.model, config), bundle


def _peak_memory_mib() -> float | None:
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def _reset_peak_memory() -> None:
    import torch

    from gpulab.memory import release_memory

    release_memory()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def run_ours(config: lora.FinetuneConfig, prepared: _Prepared, measure_from: int) -> dict[str, Any]:
    """Our loop: packed blocks on the device, bf16 autocast, fused AdamW, no per-step sync,
    chunked head + loss, compiled decoder layers when `config.compile`."""
    _reset_peak_memory()
    model, bundle = _fresh_lora_model(config)
    blocks = lora.make_blocks(
        prepared.train_sequences, config.seq_len, prepared.tokenizer.pad_token_id, config.packing
    )
    before = lora.evaluate(model, prepared.val_blocks, precision="fp32")
    result = lora.train(model, blocks, config, measure_from=measure_from)
    after = lora.evaluate(model, prepared.val_blocks, precision="fp32")
    trainable, total = lora.count_parameters(model)
    last = [loss for _, loss in result.losses[-10:]]
    out = {
        "tokens_per_s": result.tokens_per_s,
        "precision": result.precision,
        "packing": config.packing,
        "padding_fraction": blocks.padding_fraction(),
        "trained_tokens": result.trained_tokens,
        "measured_tokens": result.measured_tokens,
        "measured_seconds": result.measured_seconds,
        "train_seconds": result.seconds,  # the whole loop: compile and warm-up included
        "first_step_seconds": result.first_step_seconds,
        "steady_step_seconds": result.steady_step_seconds,
        "compile": config.compile,
        "compiled": result.compiled,
        "compile_seconds": result.compile_seconds,
        "compile_error": result.compile_error,
        "compiled_graphs": result.compiled_graphs,
        "loss_path": result.loss_path,
        "attention": getattr(bundle.model.config, "_attn_implementation", None),
        "final_train_loss": sum(last) / len(last),
        "eval_loss_before": before.loss,
        "eval_loss": after.loss,
        "perplexity": after.perplexity,
        "peak_memory_mib": _peak_memory_mib(),
        "trainable_parameters": trainable,
        "parameters": total,
        "model_source": bundle.source,
        "targets": sorted(model.peft_config["default"].target_modules),
    }
    del model, bundle
    return out


def run_trainer(
    config: lora.FinetuneConfig, prepared: _Prepared, measure_from: int, bf16: bool = False
) -> dict[str, Any]:
    """transformers.Trainer on the same PEFT model and sequences, default TrainingArguments."""
    from gpulab.timing import synchronize

    transformers = _import_transformers_with_trainer()
    _reset_peak_memory()
    model, _ = _fresh_lora_model(config)
    before = lora.evaluate(model, prepared.val_blocks, precision="fp32")
    features = [{"input_ids": s.input_ids, "labels": s.labels} for s in prepared.train_sequences]
    collator = _CountingCollator(
        transformers.DataCollatorForSeq2Seq(
            prepared.tokenizer, padding=True, label_pad_token_id=lora.IGNORE_INDEX
        )
    )
    timer = _window_timer(transformers, measure_from)
    explicit = {
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
    with tempfile.TemporaryDirectory() as output_dir:
        args = transformers.TrainingArguments(output_dir=output_dir, **explicit)
        trainer = transformers.Trainer(
            model=model,
            args=args,
            train_dataset=_ListDataset(features),
            data_collator=collator,
            callbacks=[timer],
        )
        started = time.perf_counter()
        output = trainer.train()
        synchronize()
        train_seconds = time.perf_counter() - started
    per_step = config.grad_accum
    measured_tokens = sum(collator.counts[measure_from * per_step : config.steps * per_step])
    measured_seconds = timer.ended - timer.started
    trained_tokens = sum(collator.counts[: config.steps * per_step])
    after = lora.evaluate(trainer.model, prepared.val_blocks, precision="fp32")
    padded = sum(collator.padded[: config.steps * per_step])
    resolved = {
        name: str(getattr(args, name))
        for name in (
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
    }
    out = {
        "tokens_per_s": measured_tokens / measured_seconds if measured_seconds > 0 else 0.0,
        "precision": "bf16" if bf16 else "fp32",
        "packing": False,
        "padding_fraction": 1 - trained_tokens / max(1, padded),
        "trained_tokens": trained_tokens,
        "measured_tokens": measured_tokens,
        "measured_seconds": measured_seconds,
        "train_seconds": train_seconds,
        "final_train_loss": float(output.training_loss),
        "eval_loss_before": before.loss,
        "eval_loss": after.loss,
        "perplexity": after.perplexity,
        "peak_memory_mib": _peak_memory_mib(),
        "arguments": {
            "explicit": explicit,
            "resolved_defaults": resolved,
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


class _ListDataset:
    """A map-style dataset over pre-tokenised features (what `datasets.Dataset` would hold)."""

    def __init__(self, features: list[dict[str, list[int]]]) -> None:
        self.features = features

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.features[index]


class _CountingCollator:
    """Wraps Trainer's collator to count each batch's trained tokens, in the order batches are made."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.counts: list[int] = []
        self.padded: list[int] = []

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        batch = self.inner(features)
        labels = batch["labels"]
        self.counts.append(int((labels[:, 1:] != lora.IGNORE_INDEX).sum()))
        self.padded.append(int(labels[:, 1:].numel()))
        return batch


def _window_timer(transformers: Any, measure_from: int) -> Any:
    """A TrainerCallback that times from the end of step `measure_from` to the end of training."""
    from gpulab.timing import synchronize

    class WindowTimer(transformers.TrainerCallback):
        started = 0.0
        ended = 0.0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if measure_from == 0:
                synchronize()
                self.started = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.global_step == measure_from:
                synchronize()
                self.started = time.perf_counter()

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            synchronize()
            self.ended = time.perf_counter()

    return WindowTimer()


def compare(
    config: lora.FinetuneConfig, measure_from: int = 10, trainer_bf16: bool = False
) -> BenchResult:
    """Ours vs Trainer (+ Trainer bf16 when asked and supported) on identical settings."""
    import torch

    config = replace(config)  # re-validate
    prepared = _prepare(config)
    ours = run_ours(config, prepared, measure_from)
    trainer = run_trainer(config, prepared, measure_from)
    details: dict[str, Any] = {
        "model": config.model,
        "model_source": ours.pop("model_source"),
        "pretrained_weights": not config.model.startswith("random:"),
        "data": config.data,
        "data_source": prepared.source,
        "documents": {"train": prepared.documents[0], "validation": prepared.documents[1]},
        "validation_tokens": prepared.val_blocks.trained_tokens(),
        "seq_len": config.seq_len,
        "batch_size": config.batch_size,
        "grad_accum": config.grad_accum,
        "steps": config.steps,
        "learning_rate": config.learning_rate,
        "lora": {
            "rank": config.rank,
            "alpha": config.alpha,
            "dropout": config.dropout,
            "targets": ours.pop("targets"),
            "trainable_parameters": ours.pop("trainable_parameters"),
            "parameters": ours.pop("parameters"),
        },
        "measure_from_step": measure_from,
        "ours": ours,
        "trainer": trainer,
        "eval": "mean cross-entropy per validation token (fp32, same blocks, same function)",
    }
    details["eval_loss_relative_difference"] = ours["eval_loss"] / trainer["eval_loss"] - 1
    details["eval_loss_within_2pct"] = abs(details["eval_loss_relative_difference"]) <= 0.02
    if trainer_bf16 and torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        try:  # a reference run: its failure must not cost the main comparison
            bf16 = run_trainer(config, prepared, measure_from, bf16=True)
        except Exception as err:
            details["trainer_bf16_error"] = f"{type(err).__name__}: {err}"
        else:
            details["trainer_bf16"] = bf16
            details["ratio_vs_trainer_bf16"] = ours["tokens_per_s"] / bf16["tokens_per_s"]
    details["notes"] = [
        "tokens/s counts trained (non-padding) tokens; first measure_from steps excluded on all sides",
        "ours packs documents into full rows; Trainer pads each batch to its longest sequence",
        "Trainer's default precision is fp32; trainer_bf16 (full profile) isolates the rest",
        "ours computes the head + loss in chunks (no full fp32 logits)"
        + (
            "; its decoder layers are torch.compile'd: compile time is in ours.compile_seconds "
            "and ours.train_seconds, not in tokens/s (warm-up steps)"
            if config.compile
            else ""
        ),
    ]
    if not details["pretrained_weights"]:
        details["notes"].append(
            "random weights of the named architecture: a speed test, not quality"
        )
    return BenchResult(
        metric="trained tokens/s (LoRA fine-tuning)",
        ours=ours["tokens_per_s"],
        peer_name=PEER,
        peer_value=trainer["tokens_per_s"],
        unit="tokens/s",
        details=details,
    )
