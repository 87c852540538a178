"""The optimisation ladder: every rung timed warm on the same prompt and seed, images compared.

Per rung: apply it, make the images once (the first call, which pays any compile; its images
are compared with the default's), time `repeats` more calls after the warm-up with
`gpulab.timing.benchmark` (CUDA events on a GPU), read the peak memory, then undo a side rung.
A rung that cannot run here says why; one that fails records its error and the ladder goes on,
except for an out-of-memory error, which stops the run so the notebook's callout can say so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gpulab.memory import release_memory
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import benchmark

from . import rung_apply
from .config import DiffusionConfig
from .drift import compare_images
from .generate import Settings, generate
from .pipeline import build_pipeline, cpu_threads, resolve_device
from .results import LadderResult, RungResult
from .rungs import LOSSLESS_CHAIN, RUNG_BY_NAME

COMPILED = ("compile", "max_autotune", "tensorrt")
OnRung = Callable[[LadderResult], None]


def rung_steps(config: DiffusionConfig, rung: str) -> int:
    return config.fast_steps if rung == "fewer_steps" else config.steps


def calls_per_rung(config: DiffusionConfig, rung: str) -> int:
    """The first call, the warm-up (one more where CUDA graphs record) and the timed repeats."""
    return 1 + config.warmup + (1 if rung in COMPILED else 0) + config.repeats


def planned_work(config: DiffusionConfig, device: str = "cpu") -> int:
    """Denoising steps the ladder will run here (the progress bar's total)."""
    total = 0
    for name in config.rungs:
        if rung_apply.unavailable(RUNG_BY_NAME[name], device, config.max_autotune):
            continue
        total += calls_per_rung(config, name) * rung_steps(config, name)
        if name == "default":
            total += config.steps  # the seed check's second call
    return total


def run_ladder(
    config: DiffusionConfig,
    progress: ProgressFn = no_progress,
    on_rung: OnRung | None = None,
    pipe: Any = None,
) -> LadderResult:
    """Run every rung of `config.rungs` in order; `on_rung` sees the result after each one."""
    config.validate()
    try:
        with cpu_threads(config.cpu_threads):
            return _run_ladder(config, progress, on_rung, pipe)
    finally:
        _drop_compiled(config)


def _drop_compiled(config: DiffusionConfig) -> None:
    """Free compiled graphs and their CUDA-graph memory pools, so a rerun starts clean."""
    if any(name in COMPILED for name in config.rungs):
        import torch

        torch._dynamo.reset()
    release_memory()


def _run_ladder(
    config: DiffusionConfig, progress: ProgressFn, on_rung: OnRung | None, pipe: Any
) -> LadderResult:
    device = resolve_device(config.device)
    pipe = pipe if pipe is not None else build_pipeline(config, device)
    result = LadderResult(
        device=device,
        dtype=str(pipe.unet.dtype).removeprefix("torch."),
        model=config.model,
        random_weights=config.random_weights,
        config=config.to_dict(),
        parameters_m=parameters_m(pipe),
    )
    start = time.perf_counter()
    state: dict[str, Any] = {"random_weights": config.random_weights}
    counter = _Counter(progress, planned_work(config, device))
    for name in config.rungs:
        result.rungs.append(_run_rung(name, pipe, config, device, state, counter, result))
        if on_rung is not None:
            on_rung(result)
    result.seconds = time.perf_counter() - start
    return result


def parameters_m(pipe: Any) -> dict[str, float]:
    """The pipeline's networks' parameters, in millions, as built."""
    nets = {"unet": pipe.unet, "vae": pipe.vae, "text_encoder": pipe.text_encoder}
    return {name: sum(p.numel() for p in net.parameters()) / 1e6 for name, net in nets.items()}


class _Counter:
    """Turns per-step callbacks of each call into one running total of denoising steps."""

    def __init__(self, progress: ProgressFn, total: int) -> None:
        self.progress, self.total, self.done = progress, max(total, 1), 0

    def call(self, steps: int, note: str) -> ProgressFn:
        base = self.done
        self.done += steps

        def report(step: float, _total: float, _note: str = "") -> None:
            self.progress(min(base + step, self.total), self.total, note)

        return report


def _run_rung(
    name: str,
    pipe: Any,
    config: DiffusionConfig,
    device: str,
    state: dict[str, Any],
    counter: _Counter,
    result: LadderResult,
) -> RungResult:
    rung = RUNG_BY_NAME[name]
    row = RungResult(name, rung.label, rung.lossy, steps=rung_steps(config, name))
    row.batch = config.batch
    row.builds_on = _builds_on(result)
    why = rung_apply.unavailable(rung, device, config.max_autotune)
    if why:
        row.status, row.reason = "skipped", why
        return row
    try:
        undo = rung_apply.apply(name, pipe, state)
        try:
            _measure(row, pipe, config, device, counter, result)
        finally:
            undo()
    except Exception as err:  # noqa: BLE001 - one rung's failure is its row; OOM stops the run
        if name in COMPILED:  # later rungs run on the eager modules, not a broken compile
            pipe.unet, pipe.vae.decode = state["unet"], state["decode"]
        if _is_oom(err):
            raise
        row.status, row.reason = "failed", f"{type(err).__name__}: {str(err)[:300]}"
    return row


def _measure(
    row: RungResult,
    pipe: Any,
    config: DiffusionConfig,
    device: str,
    counter: _Counter,
    result: LadderResult,
) -> None:
    settings = Settings.of(config, steps=row.steps)
    _reset_peak(device)
    start = time.perf_counter()
    row.images = generate(pipe, settings, counter.call(row.steps, f"{row.label}: first call"))
    row.first_call_s = time.perf_counter() - start
    warm = config.warmup + (1 if row.rung in COMPILED else 0)
    timing = benchmark(
        lambda: generate(pipe, settings, counter.call(row.steps, f"{row.label}: timing")),
        warmup=warm,
        repeats=config.repeats,
        work_per_call=settings.batch,
        unit="images",
        device=device if device.startswith("cuda") else None,
    )
    row.timing = timing
    row.peak_mib = _peak_mib(device)
    if row.rung in COMPILED:
        row.compile_s = max(0.0, row.first_call_s - timing.median_s)
    default = result.default
    if row.rung == "default":
        again = generate(pipe, settings, counter.call(row.steps, "seed check: second call"))
        result.seed_check = compare_images(row.images, again)
        row.drift = result.seed_check
    elif default is not None and default.images is not None:
        row.drift = compare_images(default.images, row.images)
    if config.throughput_batch > config.batch and row.rung in ("default", "fused_qkv"):
        row.throughput = measure_throughput(pipe, config, device)


def measure_throughput(pipe: Any, config: DiffusionConfig, device: str) -> dict[str, Any]:
    """Images/s at `config.throughput_batch` (eager rungs: a compiled graph would recompile)."""
    settings = Settings.of(config, batch=config.throughput_batch)
    timing = benchmark(
        lambda: generate(pipe, settings),
        warmup=1,
        repeats=1 if device.startswith("cuda") else config.repeats,
        work_per_call=settings.batch,
        unit="images",
        device=device if device.startswith("cuda") else None,
    )
    release_memory()
    return {
        "batch": settings.batch,
        "images_per_s": timing.throughput,
        "timing": timing.to_dict(),
    }


def _builds_on(result: LadderResult) -> str:
    chain = [r.rung for r in result.rungs if r.ran and r.rung in LOSSLESS_CHAIN]
    return chain[-1] if chain else ""


def _is_oom(err: BaseException) -> bool:
    return "out of memory" in str(err).lower() or type(err).__name__ == "OutOfMemoryError"


def _reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats(device)


def _peak_mib(device: str) -> float | None:
    if not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda.max_memory_allocated(device) / 2**20
