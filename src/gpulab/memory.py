"""GPU memory: an OOM guard that leaves the GPU usable, a largest-batch probe, a summary.

An out-of-memory error in a notebook is routine (the batch was too big), but the exception's
traceback keeps the failed step's tensors alive, so the next run fails too. The guard turns it into
a structured error raised *after* the traceback is dropped and the cache emptied: the rerun works.
"""

from __future__ import annotations

import gc
import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab import memory_budget

MIB = 2**20

DEFAULT_SUGGESTIONS = (
    "lower the batch size or sequence length",
    "use bf16/fp16 autocast to halve activation memory",
    "enable gradient checkpointing for training",
    "free other notebooks' GPU memory (restart their kernels)",
)

_TRIED = re.compile(r"Tried to allocate ([\d.]+) (B|KiB|MiB|GiB|TiB)")
_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}


@dataclass(eq=False)
class GpuOutOfMemory(Exception):
    """A CUDA allocation did not fit; what was asked, what was free, what to try."""

    requested_mib: float | None
    free_mib: float | None
    total_mib: float | None
    device: str
    suggestions: list[str] = field(default_factory=lambda: list(DEFAULT_SUGGESTIONS))
    raw_message: str = ""

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    def summary(self) -> str:
        def fmt(value: float | None) -> str:
            return "?" if value is None else f"{value / 1024:.2f} GiB"

        return (
            f"Out of GPU memory on {self.device}: tried to allocate {fmt(self.requested_mib)}, "
            f"{fmt(self.free_mib)} free of {fmt(self.total_mib)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_requested_bytes(message: str) -> int | None:
    """Bytes from torch's 'Tried to allocate 2.00 GiB' message, if present."""
    match = _TRIED.search(message)
    if not match:
        return None
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def release_memory() -> None:
    """Collect garbage, then give cached CUDA blocks back to the driver."""
    gc.collect()
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


def _free_and_total_mib(device: Any) -> tuple[float | None, float | None]:
    import torch

    if not torch.cuda.is_available():
        return None, None
    free, total = memory_budget.free_and_total(device)
    return free / MIB, total / MIB


def _is_oom(err: BaseException) -> bool:
    import torch

    return isinstance(err, torch.cuda.OutOfMemoryError) or (
        isinstance(err, RuntimeError) and "out of memory" in str(err).lower()
    )


class oom_guard:  # noqa: N801 - used like a function: `with oom_guard(): ...`
    """Turn a CUDA OOM inside the block into `GpuOutOfMemory`, with the GPU's cache released.

    The failed step's frames (holding its activations) are cleared before the cache is emptied;
    without that, the traceback keeps those tensors alive and the next attempt fails too. A
    class, not a generator: a generator-based manager runs while `contextlib` still holds the
    traceback, so nothing could be freed yet.
    """

    def __init__(
        self, suggestions: Sequence[str] = DEFAULT_SUGGESTIONS, device: Any = None
    ) -> None:
        self.suggestions = list(suggestions)
        self.device = device

    def __enter__(self) -> oom_guard:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> bool:
        if exc is None or not _is_oom(exc):
            return False
        message = str(exc)
        traceback.clear_frames(tb)  # drop the locals of every finished frame of the failed step
        exc.__traceback__ = None
        del exc, tb
        release_memory()
        raise self._structured(message) from None

    def _structured(self, message: str) -> GpuOutOfMemory:
        import torch

        target = self.device
        if target is None and torch.cuda.is_available():
            target = torch.cuda.current_device()
        free, total = _free_and_total_mib(target) if target is not None else (None, None)
        requested = parse_requested_bytes(message)
        return GpuOutOfMemory(
            requested_mib=None if requested is None else requested / MIB,
            free_mib=free,
            total_mib=total,
            device=torch.cuda.get_device_name(target) if target is not None else "cpu",
            suggestions=self.suggestions,
            raw_message=message.splitlines()[0] if message else "",
        )


def find_max_batch(
    try_batch: Callable[[int], object],
    start: int = 1,
    maximum: int = 4096,
) -> int:
    """Largest batch size in [start, maximum] for which `try_batch(n)` runs without OOM.

    Doubles until the first failure, then bisects. Each probe runs under `oom_guard`, so a failed
    probe leaves memory released. Returns 0 if even `start` does not fit.
    """
    if start < 1 or maximum < start:
        raise ValueError(f"need 1 <= start <= maximum, got start={start}, maximum={maximum}")

    def fits(n: int) -> bool:
        try:
            with oom_guard():
                try_batch(n)
        except GpuOutOfMemory:
            return False
        finally:
            release_memory()
        return True

    if not fits(start):
        return 0
    good, bad = start, None
    while bad is None and good < maximum:
        candidate = min(good * 2, maximum)
        if fits(candidate):
            good = candidate
        else:
            bad = candidate
    if bad is None:
        return good
    while bad - good > 1:
        middle = (good + bad) // 2
        if fits(middle):
            good = middle
        else:
            bad = middle
    return good


@dataclass
class MemorySummary:
    device: str
    allocated_mib: float
    reserved_mib: float
    peak_allocated_mib: float
    free_mib: float | None
    total_mib: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def memory_summary(device: Any = None) -> MemorySummary | None:
    """What torch holds on a GPU and what the driver has free; None without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return None
    device = torch.cuda.current_device() if device is None else device
    free, total = _free_and_total_mib(device)
    return MemorySummary(
        device=torch.cuda.get_device_name(device),
        allocated_mib=torch.cuda.memory_allocated(device) / MIB,
        reserved_mib=torch.cuda.memory_reserved(device) / MIB,
        peak_allocated_mib=torch.cuda.max_memory_allocated(device) / MIB,
        free_mib=free,
        total_mib=total,
    )


def suggest_batch_size(
    bytes_per_sample: float, free_bytes: float, headroom: float = 0.7, cap: int = 1024
) -> int:
    """A first batch size from free memory: the samples that fit in `headroom` of it (>= 1)."""
    if bytes_per_sample <= 0:
        raise ValueError("bytes_per_sample must be positive")
    return max(1, min(cap, int(free_bytes * headroom // bytes_per_sample)))
