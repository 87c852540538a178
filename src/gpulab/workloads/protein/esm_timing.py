"""ESMFold seconds per structure and peak memory against sequence length.

Each length runs under `oom_guard`: a length that does not fit is recorded as such and the
longer ones are skipped, so "the longest that fits" is a measured length, not an estimate.
Where every length fits, `estimated_longest` extrapolates the measured peaks (a quadratic in L:
the pair representation is L x L) to the memory there is, and says that it is an estimate.
"""

from __future__ import annotations

from typing import Any

from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import benchmark

from .esmfold import Folder, fold, random_sequence


def peak_reset(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)


def peak_bytes(device: str) -> int | None:
    import torch

    return int(torch.cuda.max_memory_allocated(device)) if device.startswith("cuda") else None


def time_lengths(
    folder: Folder,
    lengths: tuple[int, ...],
    repeats: int = 1,
    chunk_size: int | None = None,
    seed: int = 0,
    progress: ProgressFn = no_progress,
    rows: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One row per length: median s/structure with spread, peak bytes, or why it did not fit.

    Rows are appended to `rows` when given, as each length finishes, so a live chart can read it.
    The first length gets one warm-up call (CUDA context, kernel loading); later lengths reuse
    the warm model and are timed from their first call, which keeps long sequences affordable.
    """
    rows = [] if rows is None else rows
    total = float(sum(n * n for n in lengths))
    done = 0.0
    for length in sorted(lengths):
        sequence = random_sequence(length, seed)
        peak_reset(folder.device)
        row: dict[str, Any] = {"length": length, "fits": True}
        try:
            with oom_guard():
                timing = benchmark(
                    lambda s=sequence: fold(folder, s, chunk_size),
                    warmup=1 if not rows else 0,  # kernels are loaded after the first length
                    repeats=repeats,
                    device=folder.device,
                )
        except GpuOutOfMemory as err:
            release_memory()
            row.update(fits=False, note=f"out of memory: {err.summary()}")
            rows.append(row)
            break
        row.update(
            seconds=timing.median_s,
            spread=timing.spread(),
            noisy=timing.noisy,
            peak_bytes=peak_bytes(folder.device),
            timing=timing.to_dict(),
        )
        rows.append(row)
        done += length * length
        progress(done, total, f"L = {length}: {timing.median_s:.2f} s")
    return rows


def longest_fit(rows: list[dict[str, Any]]) -> int | None:
    """The longest measured length that ran without running out of memory."""
    fitted = [r["length"] for r in rows if r["fits"]]
    return max(fitted) if fitted else None


def estimated_longest(rows: list[dict[str, Any]], capacity_bytes: int) -> int | None:
    """The length whose peak memory would reach `capacity_bytes`, from a least-squares fit of
    peak = a + b L + c L^2 through the measured rows; None with fewer than three measured peaks,
    a fit that does not grow with L, or a capacity below the fit's smallest length. An
    extrapolation (an interpolation when the capacity lies among the measured peaks), to be
    labelled as one."""
    import numpy as np

    measured = [(r["length"], r["peak_bytes"]) for r in rows if r["fits"] and r.get("peak_bytes")]
    if len({length for length, _ in measured}) < 3:
        return None
    lengths, peaks = (np.array(v, dtype=float) for v in zip(*measured, strict=True))
    if peaks.max() - peaks.min() < 0.01 * peaks.max():  # no growth to extrapolate
        return None
    c, b, a = np.polyfit(lengths, peaks, 2)
    discriminant = b * b - 4 * c * (a - capacity_bytes)
    if c <= 0 or discriminant < 0:
        return None
    root = (-b + np.sqrt(discriminant)) / (2 * c)
    return int(root) if root >= lengths.min() else None


def fit_summary(rows: list[dict[str, Any]], device: str) -> dict[str, Any]:
    """The longest measured length that fit, and on a CUDA GPU the extrapolated longest for the
    memory this process may use (the budget where one is set) and for a 22 GiB budget."""
    out: dict[str, Any] = {"longest_fit": longest_fit(rows)}
    if not device.startswith("cuda"):
        return out
    from gpulab import memory_budget

    _, total = memory_budget.free_and_total(device)
    out["estimated_longest"] = {
        f"{total / 2**30:.1f} GiB": estimated_longest(rows, total),
        "22.0 GiB": estimated_longest(rows, 22 * 2**30),
    }
    out["estimate_note"] = (
        "extrapolated from the measured peaks (a + b L + c L^2, least squares), against "
        "allocated bytes only: the CUDA context and fragmentation make the true limit lower"
    )
    return out
