"""The ladder runner: build, time and check each planned rung in turn; one failure stays one row.

Every rung is timed with `gpulab.timing.benchmark` (CUDA events on a GPU) after a separately timed
first call (that is where compilation, autotuning and lazy initialisation go), and its output is
compared with the FP32 reference. An unknown rung, a compile failure, an out-of-memory or a
missing library marks that rung failed or skipped with the reason, and the ladder goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import benchmark, synchronize
from gpulab.workloads.inference.config import LadderConfig
from gpulab.workloads.inference.drift import compare_outputs
from gpulab.workloads.inference.models import prepare_model
from gpulab.workloads.inference.onnx_rung import build_onnxruntime
from gpulab.workloads.inference.passes import PassCount, build_note, first_call_note
from gpulab.workloads.inference.results import LadderResult, RungResult
from gpulab.workloads.inference.rung_setup import Built, LadderContext, RungSkipped, tf32_mode
from gpulab.workloads.inference.rungs import (
    RUNG_ORDER,
    RUNGS,
    builds_on,
    matched_baseline,
    plan_rungs,
    recipe_for,
)
from gpulab.workloads.inference.tensorrt_rung import build_tensorrt
from gpulab.workloads.inference.torch_rungs import build_torch

MIB = 2**20
GPU_MIN_REPEATS = 50


def time_rung(ctx: LadderContext, built: Built, result: RungResult, count: PassCount) -> Any:
    """First call timed alone, then warm-up and timed repeats; returns the first call's output.

    How many repeats: `config.repeats`, unless one call is so slow that they would outlast
    `rung_budget_s` (a CPU rung); never fewer than `min_repeats`, nor on a GPU than
    GPU_MIN_REPEATS (a p99 from fewer calls is just the maximum). `count` hears of every pass.
    """
    config = ctx.config
    started = time.perf_counter()
    output = built.run()
    synchronize()
    result.first_call_s = time.perf_counter() - started
    output = output.detach().to("cpu", copy=True)  # a replayed graph reuses its output buffer
    started = time.perf_counter()
    built.run()
    synchronize()
    one_call_s = max(time.perf_counter() - started, 1e-6)
    least = (
        config.min_repeats if built.device == "cpu" else max(config.min_repeats, GPU_MIN_REPEATS)
    )
    repeats = int(min(config.repeats, max(least, config.rung_budget_s / one_call_s)))
    warmup = int(min(config.warmup, max(1, config.rung_budget_s / 4 / one_call_s)))
    count.ran(2, warmup + repeats, f"{warmup} warm-up and {repeats} timed calls")
    on_gpu = built.device == "cuda"
    if on_gpu:
        torch.cuda.reset_peak_memory_stats(ctx.device)
    timing = benchmark(
        built.run,
        warmup=warmup,
        repeats=repeats,
        work_per_call=config.batch,
        unit="samples",
        device=ctx.device if on_gpu else None,
    )
    count.ran(warmup + repeats, 0, "checking the output against FP32")
    if on_gpu and built.tracks_memory:
        result.peak_memory_mib = torch.cuda.max_memory_allocated(ctx.device) / MIB
    result.record_timing(timing)
    return output


def resolve_device(config: LadderConfig) -> torch.device:
    """The configured device (a bare 'cuda' pinned to the current GPU), else CUDA when present."""
    if config.device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(config.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("device 'cuda' asked for, but no CUDA GPU is visible to torch")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
    return device


def _one_line(err: BaseException, limit: int = 300) -> str:
    """An exception as one readable line (compiler errors span many lines and wrap their cause)."""
    text = f"{type(err).__name__}: {' '.join(str(err).split())}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_rung(
    ctx: LadderContext, name: str, reference: Any, count: PassCount | None = None
) -> tuple[RungResult, Any]:
    """Build, time and check one rung. Every failure is recorded in the result, never raised."""
    config = ctx.config
    count = count or PassCount(config, 1)
    if name not in RUNGS:
        count.start(name, "unknown rung")
        reason = f"unknown rung {name!r} (known: {', '.join(RUNG_ORDER)})"
        count.finish("failed")
        return RungResult(name, "failed", reason), None
    rung, recipe = RUNGS[name], recipe_for(name, config.fast_precision)
    result = RungResult(
        rung=name,
        status="failed",
        changes=rung.changes,
        precision=recipe.precision,
        builds_on=builds_on(name, config.family, config.fast_precision),
        baseline=matched_baseline(recipe.precision),
    )
    output = None
    count.start(name, build_note(recipe))
    try:
        if config.family not in rung.families:
            raise RungSkipped(f"applies to {' and '.join(rung.families)} models only")
        if rung.needs_cuda and not ctx.cuda:
            raise RungSkipped("needs a CUDA GPU")
        if name == "max-autotune" and not config.allow_max_autotune:
            raise RungSkipped("opt-in (compile cost: minutes per model); set allow_max_autotune")
        if recipe.precision == "bf16" and ctx.cuda and not torch.cuda.is_bf16_supported():
            raise RungSkipped(
                "this GPU has no bfloat16 tensor cores (needs compute capability 8.0+)"
            )
        guard = oom_guard(device=ctx.device) if ctx.cuda else nullcontext()
        with guard, torch.no_grad(), tf32_mode(recipe.precision == "tf32"):
            if recipe.runtime == "onnxruntime":
                built = build_onnxruntime(ctx, recipe)
            elif recipe.runtime == "tensorrt":
                built = build_tensorrt(ctx, recipe)
            else:
                built = build_torch(ctx, recipe)
            result.backend = built.backend
            result.device = built.device
            result.setup_s = built.setup_s
            count.report(first_call_note(recipe))
            output = time_rung(ctx, built, result, count)
            del built
        result.status = "ok"
    except RungSkipped as why:
        result.status, result.reason = "skipped", str(why)
    except MissingDependencyError as err:
        result.status, result.reason = "skipped", f"{err} (unverified: not run here)"
    except GpuOutOfMemory as err:
        result.reason = f"out of memory: {err.summary()}"
    except Exception as err:  # a compile or export failure is a result, not a crash
        result.reason = _one_line(err)
    if result.ok:
        if name == "eager-fp32":
            reference = output
        if reference is None:
            result.reason = "no FP32 reference (eager-fp32 failed), so drift is unknown"
        else:
            result.drift = compare_outputs(reference, output, recipe.precision, ctx.cnn)
            result.verified = result.drift.verified
    count.finish(result.status)
    return result, output


def attribute_speedups(rungs: list[RungResult]) -> None:
    """Fill the three speed-ups of every measured rung (None where its baseline did not run)."""
    by_name = {r.rung: r for r in rungs if r.ok and r.samples_per_s}

    def ratio(result: RungResult, baseline: str | None) -> float | None:
        base = by_name.get(baseline or "")
        if base is None or not result.samples_per_s or not base.samples_per_s:
            return None
        return result.samples_per_s / base.samples_per_s

    for result in by_name.values():
        result.speedup_vs_fp32 = ratio(result, "eager-fp32")
        result.speedup_matched = ratio(result, result.baseline)
        result.speedup_step = ratio(result, result.builds_on)


def run_ladder(
    config: LadderConfig,
    on_rung: Callable[[RungResult, int, int], None] | None = None,
    progress: ProgressFn = no_progress,
) -> LadderResult:
    """Run every planned rung in order; `on_rung(result, done, total)` hears of each finished rung.

    `progress(done, total, note)` counts forward passes of the batch across the whole ladder
    (see `passes`): the unit of comparable work, where rungs would be steps of very uneven cost.
    """
    device = resolve_device(config)
    plan = plan_rungs(config)
    count = PassCount(config, len(plan), progress)
    count.report("building the model and its inputs")
    master, inputs, weights_label = prepare_model(config, device)
    ctx = LadderContext(config, master, inputs, device)
    cudnn_benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True  # every rung alike: cuDNN times its conv algorithms
    results: list[RungResult] = []
    reference = None
    import torch._inductor.config as inductor_config

    try:
        # A compiled rung compiles at its first call: the freezing switch must be set by then.
        with inductor_config.patch(freezing=config.freeze_weights):
            for done, name in enumerate(plan, start=1):
                result, output = run_rung(ctx, name, reference, count)
                if name == "eager-fp32" and result.ok:
                    reference = output
                if "cuda-graphs" not in plan[done:]:
                    ctx.compiled.clear()  # nothing later reuses the compiled model: free it
                release_memory()
                results.append(result)
                if on_rung is not None:
                    on_rung(result, done, len(plan))
    finally:
        torch.backends.cudnn.benchmark = cudnn_benchmark
        ctx.compiled.clear()
        torch._dynamo.reset()
        release_memory()
    attribute_speedups(results)
    device_label = torch.cuda.get_device_name(device) if ctx.cuda else "cpu"
    return LadderResult(config, config.preset.label, weights_label, device_label, results)
