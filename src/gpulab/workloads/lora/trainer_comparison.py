"""gpulab's loop vs transformers.Trainer + PEFT on identical settings: trained tokens/s and loss.

Both sides fine-tune the same model (same seed, same LoRA init) on the same documents with the same
sequence length, batch size, number of steps and peak learning rate; both are scored by the same
evaluation function on the same validation blocks. Throughput counts only trained tokens
(positions with a label, i.e. not padding) on both sides and excludes the first `measure_from`
steps on both sides (CUDA context, cuBLAS heuristics, allocator warm-up, and on our side
`torch.compile`, whose cost is reported separately as `compile_seconds` next to the loop's total
wall time). Trainer's default is fp32; `trainer_bf16` also runs Trainer with `bf16=True`, to show
how much of the gap is precision. `gpulab bench lora` and the notebook both call `compare`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gpulab.bench import BenchResult
from gpulab.progress import ProgressFn, no_progress
from gpulab.workloads.lora.adapters import count_parameters
from gpulab.workloads.lora.blocks import make_blocks
from gpulab.workloads.lora.comparison_setup import (
    Prepared,
    fresh_lora_model,
    our_positions,
    peak_memory_mib,
    prepare,
    reset_peak_memory,
    side_costs,
)
from gpulab.workloads.lora.config import FinetuneConfig
from gpulab.workloads.lora.evaluate import evaluate
from gpulab.workloads.lora.peer_trainer import estimated_padded_positions, run_trainer
from gpulab.workloads.lora.progress import PlannedProgress
from gpulab.workloads.lora.train import train

PEER = "transformers.Trainer + PEFT (default TrainingArguments)"


def run_ours(
    config: FinetuneConfig,
    prepared: Prepared,
    measure_from: int,
    progress: ProgressFn = no_progress,
) -> dict[str, Any]:
    """Our loop: packed blocks on the device, bf16 autocast, fused AdamW, no per-step sync,
    chunked head + loss, compiled decoder layers when `config.compile`."""
    plan = PlannedProgress(progress, side_costs(config, prepared, our_positions(config)))
    reset_peak_memory()
    model, bundle = fresh_lora_model(config)
    blocks = make_blocks(
        prepared.train_sequences, config.seq_len, prepared.tokenizer.pad_token_id, config.packing
    )
    val = prepared.val_blocks
    before = evaluate(model, val, precision="fp32", progress=plan.phase("scoring before"))
    result = train(
        model, blocks, config, measure_from=measure_from, progress=plan.phase("training")
    )
    after = evaluate(model, val, precision="fp32", progress=plan.phase("scoring after"))
    trainable, total = count_parameters(model)
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
        "windows": [w.__dict__ for w in result.windows],  # timed every log_every steps
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
        "peak_memory_mib": peak_memory_mib(),
        "trainable_parameters": trainable,
        "parameters": total,
        "model_source": bundle.source,
        "targets": sorted(model.peft_config["default"].target_modules),
    }
    del model, bundle
    return out


def compare(
    config: FinetuneConfig,
    measure_from: int = 10,
    trainer_bf16: bool = False,
    progress: ProgressFn = no_progress,
) -> BenchResult:
    """Ours vs Trainer (+ Trainer bf16 when asked and supported) on identical settings.

    `progress` hears the work done in forward-pass token positions (training counts 3 passes),
    planned up front for every side; Trainer's padded positions are estimated.
    """
    import torch

    config = replace(config)  # re-validate
    prepared = prepare(config)
    with_bf16 = trainer_bf16 and torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    trainer_positions = estimated_padded_positions(prepared.train_sequences, config)
    costs = {
        "ours": sum(side_costs(config, prepared, our_positions(config)).values()),
        "Trainer": sum(side_costs(config, prepared, trainer_positions).values()),
    }
    if with_bf16:
        costs["Trainer bf16"] = costs["Trainer"]
    plan = PlannedProgress(progress, costs)
    ours = run_ours(config, prepared, measure_from, plan.phase("ours"))
    trainer = run_trainer(config, prepared, measure_from, progress=plan.phase("Trainer"))
    details = _details(config, prepared, measure_from, ours, trainer)
    if with_bf16:
        try:  # a reference run: its failure must not cost the main comparison
            bf16 = run_trainer(
                config, prepared, measure_from, bf16=True, progress=plan.phase("Trainer bf16")
            )
        except Exception as err:
            details["trainer_bf16_error"] = f"{type(err).__name__}: {err}"
        else:
            details["trainer_bf16"] = bf16
            details["ratio_vs_trainer_bf16"] = ours["tokens_per_s"] / bf16["tokens_per_s"]
    details["device"] = "cuda" if torch.cuda.is_available() else "cpu"
    details["notes"] = _notes(config)
    return BenchResult(
        metric="trained tokens/s (LoRA fine-tuning)",
        ours=ours["tokens_per_s"],
        peer_name=PEER,
        peer_value=trainer["tokens_per_s"],
        unit="tokens/s",
        details=details,
    )


def _details(
    config: FinetuneConfig,
    prepared: Prepared,
    measure_from: int,
    ours: dict[str, Any],
    trainer: dict[str, Any],
) -> dict[str, Any]:
    """The settings both sides ran with, then each side's figures and the loss comparison."""
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
    return details


def _notes(config: FinetuneConfig) -> list[str]:
    notes = [
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
    if config.model.startswith("random:"):
        notes.append("random weights of the named architecture: a speed test, not quality")
    return notes
