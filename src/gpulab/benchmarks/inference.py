"""Inference ladder: best verified rung vs eager FP32 PyTorch (ResNet-50 headline, BERT-base too).

Full profile (needs a CUDA GPU): ResNet-50 at 64 x 3 x 224 x 224 and BERT-base at 64 x 128 tokens,
every rung of `gpulab.workloads.inference` (random weights, calibrated). The ratio is the
ResNet-50 throughput of the fastest rung whose output matched the FP32 reference within its
precision's threshold, over eager IEEE-FP32 PyTorch's; all rungs of both models, with their
precision-matched speed-ups, are in `details`.

max-autotune compiles for minutes per model (5.5 min for ResNet-50 on an H100), so it is opt-in:
set GPULAB_INFERENCE_MAX_AUTOTUNE=1 to run it; otherwise it is reported as skipped.

Smoke profile (CPU): tiny ResNet and tiny BERT with the eager, compile and ONNX Runtime rungs.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from gpulab.bench import BenchResult
from gpulab.errors import UsageError

MAX_AUTOTUNE_ENV = "GPULAB_INFERENCE_MAX_AUTOTUNE"
GOAL = 6.0  # the target: best verified ResNet-50 rung >= 6x eager FP32


def configs(profile: str) -> list[Any]:
    """The ladders a profile runs: the CNN first (it carries the headline), then the transformer."""
    from gpulab.workloads.inference import LadderConfig

    if profile == "smoke":
        return [LadderConfig.smoke("cnn"), LadderConfig.smoke("transformer")]
    autotune = os.environ.get(MAX_AUTOTUNE_ENV, "") not in ("", "0")
    return [
        LadderConfig(model="resnet50", batch=64, resolution=224, allow_max_autotune=autotune),
        LadderConfig(model="bert-base", batch=64, seq_len=128, allow_max_autotune=autotune),
    ]


def _progress(result: Any, done: int, total: int) -> None:
    timing = f"{result.samples_per_s:.1f} samples/s" if result.ok else result.reason
    print(
        f"  [{done}/{total}] {result.rung}: {result.status} {timing}", file=sys.stderr, flush=True
    )


def summarise(ladders: list[Any]) -> BenchResult:
    """The headline (first ladder: best verified rung / eager FP32) and every rung in details."""
    headline = ladders[0]
    eager = headline.get("eager-fp32")
    if eager is None or not eager.ok:
        reason = eager.reason if eager else "not run"
        raise UsageError(f"{headline.model_label}: eager-fp32 reference failed ({reason})")
    best = headline.best_verified() or eager
    tensorrt = headline.get("tensorrt")
    details: dict[str, Any] = {
        "headline": f"{headline.model_label}: {best.rung} vs eager-fp32",
        "best_rung": best.rung,
        "goal": f"best verified rung >= {GOAL:g}x eager FP32 on {headline.model_label}",
        "goal_met": best.samples_per_s / eager.samples_per_s >= GOAL,
        "tensorrt": (
            {"status": tensorrt.status, "reason": tensorrt.reason or "ran"} if tensorrt else None
        ),
        "max_autotune": f"runs only with {MAX_AUTOTUNE_ENV}=1 (compile cost)",
        "ladders": {ladder.config.model: _ladder_details(ladder) for ladder in ladders},
    }
    return BenchResult(
        metric=f"{headline.model_label} throughput, best verified rung ({best.rung})",
        ours=best.samples_per_s,
        peer_name="eager FP32 PyTorch",
        peer_value=eager.samples_per_s,
        unit="samples/s",
        details=details,
    )


def _ladder_details(ladder: Any) -> dict[str, Any]:
    data = ladder.to_dict()
    tf32 = ladder.get("tf32")
    best = ladder.best_verified()
    if best and tf32 and tf32.ok:  # PyTorch's default for convolutions is TF32
        data["best_vs_tf32"] = best.samples_per_s / tf32.samples_per_s
    return data


def run(profile: str) -> BenchResult:
    from gpulab.workloads.inference import format_ladder, run_ladder

    if profile == "full":
        import torch

        if not torch.cuda.is_available():
            raise UsageError("the full inference ladder needs a CUDA GPU; use --profile smoke")
    ladders = []
    for config in configs(profile):
        print(f"{config.model}: {config.input_label}", file=sys.stderr, flush=True)
        ladder = run_ladder(config, on_rung=_progress)
        print(format_ladder(ladder) + "\n", flush=True)
        ladders.append(ladder)
    return summarise(ladders)
