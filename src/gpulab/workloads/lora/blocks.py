"""From documents to training rows: token sequences with labels, then packed or padded blocks.

Labels are -100 on padding and on prompt tokens, set *by position* when the rows are built, so it
does not matter that a tokenizer's pad token equals its EOS token. Packing concatenates documents
(EOS between them) and cuts the stream into full rows: no compute is spent on padding. By default
packed rows keep documents apart: position ids restart at every document and transformers'
attention (SDPA/eager/flex, given `position_ids` and no attention mask) is then block-diagonal, so a
token sees only its own document, as with `DataCollatorWithFlattening`. Padding is on the right and
attention is causal, so real tokens never attend to padding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpulab.errors import UsageError
from gpulab.workloads.lora.documents import Example
from gpulab.workloads.lora.objective import IGNORE_INDEX

if TYPE_CHECKING:
    import torch


@dataclass
class TokenSequence:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX where no loss is taken (prompt tokens)


def format_prompt(tokenizer: Any, prompt: str) -> str:
    """The text the model sees before its answer: the chat template if the tokenizer has one."""
    if getattr(tokenizer, "chat_template", None):
        return tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
    return f"### Question:\n{prompt}\n\n### Answer:\n"


def tokenize_examples(
    examples: Sequence[Example], tokenizer: Any, seq_len: int
) -> list[TokenSequence]:
    """Token sequences of at most `seq_len`, EOS after each document; prompts labelled -100.

    Plain documents longer than `seq_len` are cut into consecutive chunks; prompt/response
    examples are truncated instead (a chunk without its prompt would teach nothing).
    """
    eos = tokenizer.eos_token_id
    plain = [e for e in examples if not e.prompt]
    out: list[TokenSequence] = []
    if plain:
        encoded = tokenizer([e.completion for e in plain], add_special_tokens=False)["input_ids"]
        for ids in encoded:
            ids = [*ids, eos]
            for start in range(0, len(ids), seq_len):
                chunk = ids[start : start + seq_len]
                if len(chunk) >= 2:
                    out.append(TokenSequence(chunk, list(chunk)))
    prompted = [e for e in examples if e.prompt]
    if prompted:
        prompts = tokenizer(
            [format_prompt(tokenizer, e.prompt) for e in prompted], add_special_tokens=False
        )["input_ids"]
        answers = tokenizer([e.completion for e in prompted], add_special_tokens=False)["input_ids"]
        for p, a in zip(prompts, answers, strict=True):
            ids = [*p, *a, eos][:seq_len]
            labels = ([IGNORE_INDEX] * len(p) + [*a, eos])[:seq_len]
            if any(label != IGNORE_INDEX for label in labels[1:]):
                out.append(TokenSequence(ids, labels))
    return out


@dataclass
class Blocks:
    """Fixed-length rows ready for the GPU: input ids and labels (-100 where no loss is taken)."""

    input_ids: torch.Tensor  # [rows, seq_len] int64
    labels: torch.Tensor  # [rows, seq_len] int64
    packed: bool
    # [rows, seq_len], restarting at every document: attention stays inside each document.
    # None: positions 0..seq_len-1 in every row (padded rows, or packing across documents).
    position_ids: torch.Tensor | None = None

    @property
    def documents_apart(self) -> bool:
        """Whether a token attends only to its own document (always so for padded rows)."""
        return not self.packed or self.position_ids is not None

    @property
    def rows(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.input_ids.shape[1])

    def trained_tokens(self) -> int:
        """Positions that carry a loss: label[t+1] != -100 (the model predicts t+1 from <= t)."""
        return int((self.labels[:, 1:] != IGNORE_INDEX).sum())

    def padding_fraction(self) -> float:
        """Share of positions computed without a loss: padding (and prompts, if any)."""
        return 1.0 - self.trained_tokens() / max(1, self.rows * (self.seq_len - 1))

    def to(self, device: Any) -> Blocks:
        positions = None if self.position_ids is None else self.position_ids.to(device)
        return Blocks(self.input_ids.to(device), self.labels.to(device), self.packed, positions)


def pad_sequences(sequences: Sequence[TokenSequence], seq_len: int, pad_id: int) -> Blocks:
    """One row per sequence, right-padded; padded positions get label -100."""
    import torch

    ids = torch.full((len(sequences), seq_len), pad_id, dtype=torch.long)
    labels = torch.full((len(sequences), seq_len), IGNORE_INDEX, dtype=torch.long)
    for row, seq in enumerate(sequences):
        n = min(len(seq.input_ids), seq_len)
        ids[row, :n] = torch.tensor(seq.input_ids[:n])
        labels[row, :n] = torch.tensor(seq.labels[:n])
    return Blocks(ids, labels, packed=False)


def pack_sequences(
    sequences: Sequence[TokenSequence], seq_len: int, pad_id: int, documents_apart: bool = True
) -> Blocks:
    """Concatenate every sequence and cut full rows of `seq_len`: no padding except in the last row.

    `documents_apart` (the default): position ids restart at every sequence (and at every row), so
    attention stays inside each document, and each document's first token carries no label (its
    only context would be the previous document), as `DataCollatorWithFlattening` does. Otherwise
    documents share a row and attend across the EOS between them, as in GPT pre-training.
    """
    import torch

    ids = torch.tensor([t for s in sequences for t in s.input_ids], dtype=torch.long)
    labels = torch.tensor([t for s in sequences for t in s.labels], dtype=torch.long)
    rows = math.ceil(len(ids) / seq_len)
    total = rows * seq_len
    padded_ids = torch.full((total,), pad_id, dtype=torch.long)
    padded_labels = torch.full((total,), IGNORE_INDEX, dtype=torch.long)
    padded_ids[: len(ids)] = ids
    padded_labels[: len(labels)] = labels
    positions = None
    if documents_apart:
        lengths = [len(s.input_ids) for s in sequences]
        starts = torch.zeros(total, dtype=torch.bool)
        starts[torch.tensor([0, *itertools.accumulate(lengths)][:-1], dtype=torch.long)] = True
        padded_labels[: len(labels)][starts[: len(labels)]] = IGNORE_INDEX
        if len(ids) < total:
            starts[len(ids)] = True  # the last row's padding is a document of its own
        starts[::seq_len] = True  # every row starts at position 0
        index = torch.arange(total)
        last_start = torch.cummax(torch.where(starts, index, 0), dim=0).values
        positions = (index - last_start).view(rows, seq_len)
    return Blocks(
        padded_ids.view(rows, seq_len), padded_labels.view(rows, seq_len), True, positions
    )


def make_blocks(
    sequences: Sequence[TokenSequence],
    seq_len: int,
    pad_id: int,
    packing: bool,
    documents_apart: bool = True,
) -> Blocks:
    """Packed rows (documents kept apart unless `documents_apart=False`) or one padded row each."""
    if not sequences:
        raise UsageError(
            "no training tokens after tokenisation: every document is empty, or every prompt "
            f"fills the whole sequence length ({seq_len}) leaving nothing to learn"
        )
    if packing:
        return pack_sequences(sequences, seq_len, pad_id, documents_apart)
    return pad_sequences(sequences, seq_len, pad_id)


def label_table(
    sequences: Sequence[TokenSequence], tokenizer: Any, tokens: int = 48
) -> list[dict[str, Any]]:
    """The first `tokens` positions of one sequence with their labels, for a table.

    The sequence shown is the first whose prompt is masked (label -100), else the first one.
    """
    shown = next((s for s in sequences if s.labels[0] == IGNORE_INDEX), None) or sequences[0]
    return [
        {
            "position": i,
            "token": tokenizer.decode([t]),
            "input id": t,
            "label": "-100 (no loss)" if label == IGNORE_INDEX else str(label),
        }
        for i, (t, label) in enumerate(
            zip(shown.input_ids[:tokens], shown.labels[:tokens], strict=True)
        )
    ]
