"""Inference ladder: best verified rung vs eager FP32 PyTorch (ResNet-50 headline, BERT-base too).

Full profile (needs a CUDA GPU): ResNet-50 at 64 x 3 x 224 x 224 and BERT-base at 64 x 128 tokens,
every rung of `gpulab.workloads.inference` (random weights, calibrated). The ratio is the
ResNet-50 throughput of the fastest rung whose output matched the FP32 reference within its
precision's threshold, over eager IEEE-FP32 PyTorch's; all rungs of both models, with their
precision-matched speed-ups, are in `details`.

max-autotune compiles for minutes per model, so it is opt-in: set GPULAB_INFERENCE_MAX_AUTOTUNE=1
to run it; otherwise it is reported as skipped. With it, both ladders may outlast one sitting (the
device tool allows 10 min a command): GPULAB_INFERENCE_MODELS picks the ladders to run, e.g.
`resnet50` then `bert-base` in two runs, and `merge_reports` joins their JSON into one report.

Smoke profile (CPU): tiny ResNet and tiny BERT with the eager, compile and ONNX Runtime rungs.
Its ratio is withheld (`"ratio": null`, with the reason): CPU rungs compared with each other say
nothing about the GPU ladder. A noisy timing behind the ratio is named in `details["noise"]`.
The sizes are `LadderConfig.bench_for_profile`'s; `details["config"]` records each ladder's.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

from gpulab.bench import BenchResult
from gpulab.errors import UsageError
from gpulab.workloads.inference.views import ratio_noise

MAX_AUTOTUNE_ENV = "GPULAB_INFERENCE_MAX_AUTOTUNE"
MODELS_ENV = "GPULAB_INFERENCE_MODELS"
FULL_MODELS = ("resnet50", "bert-base")  # the first carries the headline


def configs(profile: str) -> list[Any]:
    """The ladders a profile runs: the CNN first (it carries the headline), then the transformer."""
    from gpulab.workloads.inference import FAMILIES, MODELS, LadderConfig

    if profile == "smoke":
        return [LadderConfig.bench_for_profile(profile, family) for family in FAMILIES]
    autotune = _max_autotune_enabled()
    return [
        LadderConfig.bench_for_profile(
            profile, MODELS[model].family, model=model, allow_max_autotune=autotune
        )
        for model in selected_models()
    ]


def _max_autotune_enabled() -> bool:
    return os.environ.get(MAX_AUTOTUNE_ENV, "") not in ("", "0")


def selected_models() -> list[str]:
    """The full profile's ladders: all of them, or those named in GPULAB_INFERENCE_MODELS."""
    raw = os.environ.get(MODELS_ENV, "").strip()
    if not raw:
        return list(FULL_MODELS)
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = [name for name in names if name not in FULL_MODELS]
    if unknown or not names:
        raise UsageError(
            f"{MODELS_ENV}={raw!r}: unknown model(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(FULL_MODELS)}"
        )
    return sorted(set(names), key=FULL_MODELS.index)


def _progress(result: Any, done: int, total: int) -> None:
    timing = (
        f"{result.samples_per_s:.1f} samples/s, {result.spread()}" if result.ok else result.reason
    )
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
    noise = ratio_noise(best, eager)
    no_ratio = _no_ratio_because(headline)
    details: dict[str, Any] = {
        "headline": f"{headline.model_label}: {best.rung} vs eager-fp32"
        + (f" ({noise})" if noise else ""),
        "best_rung": best.rung,
        "noise": noise or None,  # set when a timing behind the ratio is noisy
        "tensorrt": (
            {"status": tensorrt.status, "reason": tensorrt.reason or "ran"} if tensorrt else None
        ),
        "max_autotune": (
            f"ran ({MAX_AUTOTUNE_ENV}=1)"
            if _max_autotune_enabled()
            else f"runs only with {MAX_AUTOTUNE_ENV}=1 (compile cost)"
        ),
        "ladders": {ladder.config.model: _ladder_details(ladder) for ladder in ladders},
        "config": {ladder.config.model: ladder.config.to_dict() for ladder in ladders},
    }
    return BenchResult(
        metric=f"{headline.model_label} throughput, best verified rung ({best.rung})",
        ours=best.samples_per_s,
        peer_name="eager FP32 PyTorch",
        peer_value=eager.samples_per_s,
        unit="samples/s",
        details=details,
        no_ratio_because=no_ratio,
    )


def _no_ratio_because(ladder: Any) -> str:
    """Why the headline ratio is withheld: a ladder timed on the CPU says nothing about a GPU."""
    eager = ladder.get("eager-fp32")
    if eager is not None and eager.device == "cpu":
        return (
            "the ladder ran on the CPU (no CUDA GPU): its rungs compare CPU runtimes with each "
            "other, which says nothing about the GPU ladder this benchmark measures"
        )
    return ""


def _ladder_details(ladder: Any) -> dict[str, Any]:
    data = ladder.to_dict()
    tf32 = ladder.get("tf32")
    best = ladder.best_verified()
    if best and tf32 and tf32.ok:  # PyTorch's default for convolutions is TF32
        data["best_vs_tf32"] = best.samples_per_s / tf32.samples_per_s
    return data


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from runs that each measured some ladders (`gpulab bench inference` JSON).

    The headline, ratio and top-level fields come from the run holding the first model of
    FULL_MODELS; the other runs add their ladders, and every run's time, creation stamp and
    telemetry stay under `details.runs` so nothing measured is dropped.
    """
    if not reports:
        raise UsageError("nothing to merge")
    by_model: dict[str, dict[str, Any]] = {}
    for report in reports:
        if report.get("benchmark") != "inference" or report.get("profile") != "full":
            raise UsageError("merge_reports takes full-profile `gpulab bench inference` reports")
        for model in report["details"]["ladders"]:
            if model in by_model:
                raise UsageError(f"ladder {model!r} appears in more than one report")
            by_model[model] = report
    headline_model = FULL_MODELS[0]
    if headline_model not in by_model:
        raise UsageError(f"no {FULL_MODELS[0]} ladder among the reports")
    devices = {report["device"] for report in reports}
    if len(devices) > 1:
        raise UsageError(f"reports come from different devices: {sorted(devices)}")
    merged = copy.deepcopy(by_model[headline_model])
    ladders = {m: by_model[m]["details"]["ladders"][m] for m in FULL_MODELS if m in by_model}
    merged["details"]["ladders"] = ladders
    merged["details"]["runs"] = [
        {
            "models": list(report["details"]["ladders"]),
            "created": report.get("created"),
            "seconds": report.get("seconds"),
            "max_autotune": report["details"].get("max_autotune"),
            "telemetry": report.get("telemetry"),
        }
        for report in reports
    ]
    merged["seconds"] = sum(report.get("seconds") or 0.0 for report in reports)
    return merged


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
