"""Real text without a download: the Python standard library's own source, read as bytes.

Every process reads the same files in the same order, so every rank (and every strategy) draws
the same global batches from the same seed; a rank takes its own contiguous slice of each.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path
from typing import Any

# Modules of prose-heavy docstrings and code, present in every CPython; read in this order.
SOURCES = ("argparse", "collections/__init__", "dataclasses", "inspect", "json/decoder", "typing")


def corpus_bytes() -> bytes:
    """The concatenated source files (a few hundred kB)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return b"\n".join((root / f"{name}.py").read_bytes() for name in SOURCES)


def global_batch(text: Any, step: int, batch: int, seq_len: int, seed: int) -> Any:
    """`batch` windows of `seq_len + 1` bytes for optimiser step `step`: the same on every rank."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + step)
    starts = torch.randint(0, len(text) - seq_len - 1, (batch,), generator=generator)
    return torch.stack([text[s : s + seq_len + 1] for s in starts.tolist()]).long()


def as_tensor(data: bytes) -> Any:
    import torch

    return torch.frombuffer(bytearray(data), dtype=torch.uint8)
