"""How large a table fits: the row cap from free host memory and free GPU memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .config import SIZES
from .data import generate_table

# Working set per input byte: pandas keeps the input plus sort/merge temporaries, results, and the
# reference results kept for the equality checks; cuDF keeps input, hash tables and outputs on the
# GPU at once.
HOST_WORKING_SET = 16
GPU_WORKING_SET = 8


@dataclass(frozen=True)
class SizeCap:
    """The largest row count that fits the free host (and GPU) memory, and why."""

    max_rows: int
    host_available_bytes: int
    gpu_free_bytes: int | None
    bytes_per_row: float
    limited_by: str

    def allowed(self, sizes: Iterable[int] = SIZES) -> list[int]:
        return [s for s in sizes if s <= self.max_rows]

    def fit(self, rows: int, sizes: tuple[int, ...] = SIZES) -> int:
        """`rows` if it fits, else the largest of `sizes` that does (the smallest if none do)."""
        return rows if rows <= self.max_rows else max(self.allowed(sizes) or [sizes[0]])

    def explain(self, rows: int) -> str:
        need = rows * self.bytes_per_row
        return (
            f"{rows:,} rows need about {need * HOST_WORKING_SET / 2**30:.1f} GiB of host memory"
            + (
                f" and {need * GPU_WORKING_SET / 2**30:.1f} GiB of GPU memory"
                if self.gpu_free_bytes is not None
                else ""
            )
            + f"; {self.host_available_bytes / 2**30:.1f} GiB host"
            + (
                f", {self.gpu_free_bytes / 2**30:.1f} GiB GPU free"
                if self.gpu_free_bytes is not None
                else ""
            )
        )


def estimate_bytes_per_row(sample_rows: int = 10_000) -> float:
    """Bytes per synthetic row, measured on a small generated sample."""
    return generate_table(sample_rows).nbytes / sample_rows


def size_cap(
    bytes_per_row: float | None = None,
    host_available_bytes: int | None = None,
    gpu_free_bytes: int | None = None,
    detect_gpu: bool = True,
) -> SizeCap:
    """Cap the row count from free host memory (psutil) and free GPU memory (NVML, GPU 0).

    Pass numbers to plan for another machine; `detect_gpu=False` plans for the CPU engines only.
    """
    bpr = bytes_per_row if bytes_per_row is not None else estimate_bytes_per_row()
    host = host_available_bytes if host_available_bytes is not None else _host_available()
    gpu = gpu_free_bytes if gpu_free_bytes is not None or not detect_gpu else _gpu_free_bytes()
    host_rows = int(host / (bpr * HOST_WORKING_SET))
    gpu_rows = int(gpu / (bpr * GPU_WORKING_SET)) if gpu else None
    if gpu_rows is not None and gpu_rows < host_rows:
        return SizeCap(gpu_rows, host, gpu, bpr, "GPU memory")
    return SizeCap(host_rows, host, gpu, bpr, "host memory")


def _host_available() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def _gpu_free_bytes() -> int | None:
    from gpulab.device import probe

    gpus = probe(use_torch=False).gpus
    if not gpus or gpus[0].memory_free_mib is None:
        return None
    return int(gpus[0].memory_free_mib * 2**20)
