"""Which transformers.Trainer set-ups the comparison runs: its defaults, and the strongest one.

`defaults`: TrainingArguments' defaults (fp32, `adamw_torch`, no compile), each batch padded to
its longest sequence by `DataCollatorForSeq2Seq`. `best`: what a practitioner would choose for
speed: `bf16=True` (GPUs with bf16), `optim="adamw_torch_fused"`, SDPA attention,
`torch_compile=True` on CUDA, and padding-free packing with `DataCollatorWithFlattening` (one row
per batch, position ids restarting per document, so attention stays inside each document). It
takes as many sequences per batch as make up our rows' tokens per step (`sequences_per_batch`);
with `torch_compile` it takes instead groups of whole sequences flattened and padded to exactly
our tokens per step (`fixed_tokens`, `fixed_flattening`), so the compiled model sees one shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from gpulab.workloads.lora.blocks import TokenSequence
from gpulab.workloads.lora.config import FinetuneConfig
from gpulab.workloads.lora.fixed_flattening import FixedLengthFlattening, group_sequences
from gpulab.workloads.lora.objective import IGNORE_INDEX


@dataclass(frozen=True)
class TrainerSetup:
    """One Trainer configuration: the arguments it sets beyond the comparison's, and its collator."""

    name: str  # "defaults", "bf16" or "best"
    bf16: bool = False
    flatten: bool = False  # DataCollatorWithFlattening instead of padding per batch
    optim: str | None = None  # None: Trainer's default
    torch_compile: bool = False
    sequences_per_batch: int | None = None  # None: config.batch_size
    compile_skipped: str | None = None  # why torch_compile was not asked for
    fixed_tokens: int | None = None  # flattened rows padded to this length (needs flatten)

    @property
    def label(self) -> str:
        fixed = ", one fixed length" if self.fixed_tokens else ""
        return {"defaults": "Trainer (defaults)", "bf16": "Trainer (bf16=True)"}.get(
            self.name, f"Trainer (best: bf16, flattening{fixed}, fused AdamW, compile)"
        )

    @property
    def batch_size(self) -> int | None:
        """Trainer's per-device batch: one group for fixed-length rows (None: the config's)."""
        return 1 if self.fixed_tokens else self.sequences_per_batch

    def features(self, sequences: Sequence[TokenSequence], seed: int) -> list[dict[str, Any]]:
        """The training examples: one per sequence, or one per fixed-length group."""
        if self.fixed_tokens:
            return group_sequences(sequences, self.fixed_tokens, seed)
        return [{"input_ids": s.input_ids, "labels": s.labels} for s in sequences]

    def arguments(self) -> dict[str, Any]:
        """The TrainingArguments this set-up adds to the comparison's own."""
        out: dict[str, Any] = {}
        if self.bf16:
            out["bf16"] = True
        if self.optim:
            out["optim"] = self.optim
        if self.torch_compile:
            out["torch_compile"] = True
        return out

    def collator(self, transformers: Any, tokenizer: Any) -> Any:
        if self.flatten:
            flattening = transformers.DataCollatorWithFlattening(
                return_position_ids=True, separator_id=IGNORE_INDEX
            )
            if self.fixed_tokens:
                pad_id = tokenizer.pad_token_id
                if pad_id is None:
                    pad_id = tokenizer.eos_token_id or 0
                return FixedLengthFlattening(flattening, self.fixed_tokens, pad_id)
            return flattening
        return transformers.DataCollatorForSeq2Seq(
            tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX
        )

    def collator_name(self) -> str:
        if self.fixed_tokens:
            return (
                "DataCollatorWithFlattening(return_position_ids=True, separator_id=-100), "
                f"groups of whole sequences padded to {self.fixed_tokens} tokens"
            )
        if self.flatten:
            return "DataCollatorWithFlattening(return_position_ids=True, separator_id=-100)"
        return "DataCollatorForSeq2Seq(padding=True, label_pad_token_id=-100)"

    def without_compile(self, reason: str) -> TrainerSetup:
        """The same set-up in eager mode, saying why (a compile that failed); without a compiler
        a fixed length only adds padding, so its rows flatten to their own length again."""
        return replace(self, torch_compile=False, compile_skipped=reason, fixed_tokens=None)


def defaults_setup(bf16: bool = False) -> TrainerSetup:
    return TrainerSetup("bf16" if bf16 else "defaults", bf16=bf16)


def sequences_per_batch(sequences: Sequence[TokenSequence], config: FinetuneConfig) -> int:
    """Sequences whose tokens fill our `batch_size` rows of `seq_len`, on average (at least 1)."""
    lengths = [len(s.input_ids) for s in sequences] or [config.seq_len]
    mean = sum(lengths) / len(lengths)
    return max(1, round(config.batch_size * config.seq_len / mean))


def best_setup(sequences: Sequence[TokenSequence], config: FinetuneConfig) -> TrainerSetup:
    """The strongest Trainer set-up this machine supports (bf16 and compile need CUDA)."""
    import torch

    cuda = torch.cuda.is_available()
    return TrainerSetup(
        "best",
        bf16=cuda and torch.cuda.is_bf16_supported(),
        flatten=True,
        optim="adamw_torch_fused",
        torch_compile=cuda,
        sequences_per_batch=sequences_per_batch(sequences, config),
        compile_skipped=None if cuda else "CPU: the C++ compile costs more than the run",
        fixed_tokens=config.batch_size * config.seq_len if cuda else None,
    )
