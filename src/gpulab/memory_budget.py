"""A GPU memory budget: run on a large GPU as if it were a smaller one (24 GiB, an L4's class).

`gpulab test --memory-budget 24GiB` (or `$GPULAB_MEMORY_BUDGET`, or the notebook argument
`--memory-budget=24GiB`) caps this process's CUDA caching allocator with
`torch.cuda.set_per_process_memory_fraction`, and `free_and_total` reports the budget as the
GPU's total, so notebooks that size their work from free memory size it for the smaller card.
An allocation past the budget raises CUDA's ordinary out-of-memory error, which `oom_guard`
turns into a callout like any other OOM.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from gpulab.errors import UsageError

ENV_VAR = "GPULAB_MEMORY_BUDGET"

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$", re.I)
_FACTORS = {
    "b": 1,
    "k": 2**10,
    "kib": 2**10,
    "kb": 10**3,
    "m": 2**20,
    "mib": 2**20,
    "mb": 10**6,
    "g": 2**30,
    "gib": 2**30,
    "gb": 10**9,
    "t": 2**40,
    "tib": 2**40,
    "tb": 10**12,
}


def parse_size(text: str) -> int:
    """Bytes from '24GiB', '22 GB', '24g' or '24000MiB' (GiB when no unit is given)."""
    match = _SIZE.match(str(text))
    if not match:
        raise UsageError(
            f"memory budget {text!r} is not a size; write it like 24GiB, 22GB or 16000MiB"
        )
    number, unit = float(match.group(1)), (match.group(2) or "gib").lower()
    size = int(number * _FACTORS[unit])
    if size <= 0:
        raise UsageError(f"memory budget {text!r} must be larger than zero")
    return size


def format_size(size: int) -> str:
    """'24.0 GiB': how the budget is shown in callouts and reports."""
    return f"{size / 2**30:.1f} GiB"


@dataclass(frozen=True)
class Budget:
    """The budget in force on one device, and the card it was carved from."""

    bytes: int
    device_total: int
    device: str

    @property
    def fraction(self) -> float:
        return self.bytes / self.device_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "budget_bytes": self.bytes,
            "budget": format_size(self.bytes),
            "device_total_bytes": self.device_total,
            "device": self.device,
        }


_applied: dict[str, Budget] = {}


def requested(args: dict[str, str] | None = None) -> int | None:
    """The budget asked for: the notebook argument first, then the environment; None if none."""
    text = (args or {}).get("memory-budget") or os.environ.get(ENV_VAR)
    return parse_size(text) if text else None


def apply(size: int | None = None, device: Any = None) -> Budget | None:
    """Cap the caching allocator at `size` bytes (default: the requested budget) on `device`.

    A no-op without a CUDA GPU or without a budget. A budget larger than the GPU is a usage error
    naming the GPU's size, not a silent no-op: the run would not measure what it claims to.
    """
    size = requested() if size is None else size
    if size is None:
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    dev = torch.device(device if device is not None else "cuda")
    if dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    _free, total = torch.cuda.mem_get_info(dev)
    if size > total:
        raise UsageError(
            f"memory budget {format_size(size)} is larger than this GPU "
            f"({format_size(total)}); give a smaller budget or none"
        )
    torch.cuda.set_per_process_memory_fraction(size / total, dev)
    budget = Budget(bytes=size, device_total=int(total), device=str(dev))
    _applied[str(dev)] = budget
    return budget


def active(device: Any = None) -> Budget | None:
    """The budget applied in this process on `device` (the current CUDA device by default)."""
    if not _applied:
        return None
    import torch

    dev = torch.device(device if device is not None else "cuda")
    if dev.type != "cuda":
        return None
    if dev.index is None:
        dev = torch.device("cuda", torch.cuda.current_device())
    return _applied.get(str(dev))


def free_and_total(device: Any = None) -> tuple[int, int]:
    """Free and total bytes on a CUDA device as this process may use them.

    Without a budget this is `torch.cuda.mem_get_info`. Under a budget the total is the budget and
    the free bytes are what the allocator may still reserve (never more than the card has free).
    Size work from this, not from `mem_get_info`, so a budget run sizes itself for the small card.
    """
    import torch

    dev = torch.device(device if device is not None else "cuda")
    free, total = torch.cuda.mem_get_info(dev)
    budget = active(dev)
    if budget is None:
        return int(free), int(total)
    reserved = torch.cuda.memory_reserved(dev)
    return int(max(0, min(free, budget.bytes - reserved))), budget.bytes


# Memory sizes of common cards, GiB: a budget is shown as the smallest class that holds it.
CARD_CLASSES_GIB = (8, 12, 16, 24, 32, 40, 48, 80, 94, 141, 180)


def card_class(size: int) -> str:
    """'24 GiB' for a 22 GiB budget: the card a budget run stands in for."""
    gib = size / 2**30
    fitting = [c for c in CARD_CLASSES_GIB if c >= gib]
    return f"{fitting[0] if fitting else round(gib)} GiB"


def require(minimum: int, what: str, device: Any = None) -> None:
    """A UsageError naming the minimum when the budget (or the card) is smaller than `minimum`.

    For a notebook's smallest setting: a clear "needs at least X" instead of an OOM traceback.
    """
    _free, total = free_and_total(device)
    if total < minimum:
        where = "the memory budget" if active(device) else "this GPU"
        raise UsageError(
            f"{what} needs at least {format_size(minimum)} of GPU memory and {where} has "
            f"{format_size(total)}; give a budget of at least {format_size(minimum)} "
            f"(--memory-budget) or use a larger GPU"
        )
