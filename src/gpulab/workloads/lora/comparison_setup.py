"""What both sides of the Trainer comparison start from: the same data, model and LoRA init."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab.workloads.lora.adapters import apply_lora
from gpulab.workloads.lora.blocks import Blocks, TokenSequence, make_blocks, tokenize_examples
from gpulab.workloads.lora.config import FinetuneConfig
from gpulab.workloads.lora.documents import load_data
from gpulab.workloads.lora.models import ModelBundle, load_model


@dataclass
class Prepared:
    """The tokenised documents both sides train on and the validation rows both are scored on."""

    tokenizer: Any
    train_sequences: list[TokenSequence]
    val_blocks: Blocks
    documents: tuple[int, int]  # (train, validation)
    source: str


def prepare(config: FinetuneConfig) -> Prepared:
    tokenizer = load_model(config.model, device="cpu", seed=config.seed).tokenizer
    split = load_data(config)
    train_sequences = tokenize_examples(split.train, tokenizer, config.seq_len)
    val_sequences = tokenize_examples(split.val, tokenizer, config.seq_len)
    val_blocks = make_blocks(val_sequences, config.seq_len, tokenizer.pad_token_id, False)
    return Prepared(
        tokenizer, train_sequences, val_blocks, (len(split.train), len(split.val)), split.source
    )


def side_costs(
    config: FinetuneConfig, prepared: Prepared, train_positions: int
) -> dict[str, float]:
    """One side's work in forward-pass token positions: scoring twice, training (3 passes)."""
    scoring = prepared.val_blocks.rows * config.seq_len
    return {"scoring before": scoring, "training": 3 * train_positions, "scoring after": scoring}


def our_positions(config: FinetuneConfig) -> int:
    """Positions our loop computes: every row is full (packed) or padded to `seq_len`."""
    return config.steps * config.grad_accum * config.batch_size * config.seq_len


def fresh_lora_model(config: FinetuneConfig) -> tuple[Any, ModelBundle]:
    """The same base weights and the same LoRA init for every side (both seeded)."""
    bundle = load_model(config.model, seed=config.seed)
    return apply_lora(bundle.model, config), bundle


def peak_memory_mib() -> float | None:
    """Peak CUDA memory allocated since `reset_peak_memory` (None without a GPU)."""
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.cuda.max_memory_allocated() / 2**20


def reset_peak_memory() -> None:
    """Release the previous side's memory and restart the peak, so each side reports its own."""
    import torch

    from gpulab.memory import release_memory

    release_memory()
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
