"""Padding-free packing at one fixed length, so Trainer's `torch_compile` compiles once.

`DataCollatorWithFlattening` joins a batch's sequences into one row as long as their sum, so
every batch has a new length. Under `torch_compile=True` each new length recompiles the model
(minutes each for a 135M-parameter model: `reports/device/h200/lora-bench-trainer-recompiles.log`),
so a run of a few hundred steps spends its time compiling. What a practitioner does then is fix
the shape: group whole sequences into rows of at most `tokens`
tokens once, up front, and pad each flattened row to exactly `tokens` with one padding segment
whose position ids restart (a document of its own, its labels ignored). Attention stays inside
each document, as with the plain flattening collator; the padding is counted as padding.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from gpulab.workloads.lora.blocks import TokenSequence
from gpulab.workloads.lora.objective import IGNORE_INDEX


def group_sequences(
    sequences: Sequence[TokenSequence], tokens: int, seed: int = 0
) -> list[dict[str, list[list[int]]]]:
    """Whole sequences, shuffled by `seed`, first-fit into groups of at most `tokens` tokens.

    Each group is one training example: {"input_ids": [...per sequence], "labels": [...]}, the
    keys the model's forward takes (Trainer drops any other column). A sequence longer than
    `tokens` is cut to it.
    """
    if tokens < 2:
        raise ValueError(f"a fixed row needs at least 2 tokens, got {tokens}")
    order = list(range(len(sequences)))
    random.Random(seed).shuffle(order)
    groups: list[dict[str, list[list[int]]]] = []
    room: list[int] = []
    for index in order:
        sequence = sequences[index]
        length = min(len(sequence.input_ids), tokens)
        slot = next((g for g, free in enumerate(room) if free >= length), None)
        if slot is None:
            groups.append({"input_ids": [], "labels": []})
            room.append(tokens)
            slot = len(groups) - 1
        groups[slot]["input_ids"].append(list(sequence.input_ids[:length]))
        groups[slot]["labels"].append(list(sequence.labels[:length]))
        room[slot] -= length
    return groups


class FixedLengthFlattening:
    """Flattens one group with Trainer's own flattening collator, then pads it to `tokens`."""

    def __init__(self, inner: Any, tokens: int, pad_id: int) -> None:
        self.inner = inner
        self.tokens = tokens
        self.pad_id = pad_id

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        if len(features) != 1:
            raise ValueError(
                f"one group per batch (per_device_train_batch_size=1), got {len(features)}"
            )
        group = features[0]
        pairs = zip(group["input_ids"], group["labels"], strict=True)
        batch = self.inner([{"input_ids": ids, "labels": labels} for ids, labels in pairs])
        length = batch["input_ids"].shape[1]
        extra = self.tokens - length
        if extra < 0:
            raise ValueError(f"a group of {length} tokens does not fit {self.tokens}")
        if extra:
            fill = {
                "input_ids": torch.full((1, extra), self.pad_id, dtype=batch["input_ids"].dtype),
                "labels": torch.full((1, extra), IGNORE_INDEX, dtype=batch["labels"].dtype),
                "position_ids": torch.arange(extra, dtype=batch["position_ids"].dtype)[None],
            }
            for key, tail in fill.items():
                batch[key] = torch.cat([batch[key], tail], dim=1)
        return batch
