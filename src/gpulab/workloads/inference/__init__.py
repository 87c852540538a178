"""The inference optimisation ladder: one model, one input batch, each optimisation measured alone.

A ladder is a list of rungs. Each rung is a *recipe* (precision, memory layout, attention kernel,
compiler, CUDA graphs, runtime) applied to the same FP32 master weights and run on the same inputs:

    eager-fp32 -> tf32 -> bf16 -> +channels-last / +sdpa -> +compile -> +cuda-graphs
                                  side rungs: fp16, max-autotune, onnxruntime(-fp16), tensorrt

Every rung is timed apart from its first call and checked against the FP32 reference: a rung
whose drift exceeds its precision's threshold is *not verified* and never counts as the best
rung. Speed-ups are reported three ways so each gain is attributed to its cause: against eager
FP32 (the whole ladder so far), against the eager rung of the *same* precision (what the
non-precision tricks bought), and against the rung it builds on (what this one step bought).

FP32 here means IEEE FP32: PyTorch lets cuDNN convolutions use TF32 by default, so the eager-fp32
rung switches TF32 off and the tf32 rung switches it on.

Models are built from their architecture: ResNet (torchvision's module names, so torchvision/timm
checkpoints load) written here in plain torch, and BERT via `transformers.BertModel`. Random
weights are the default (labelled as such); `weights=` takes a local path or a hub id.

The package, one concern a module: `presets` (models by name), `rungs` (the catalogue and its
order), `config` (`LadderConfig`, per profile), `drift` (verification against FP32), `results`,
`resnet` and `models` (building the models and inputs), `rung_setup`, `torch_rungs`, `onnx_rung`
and `tensorrt_rung` (one builder per runtime), `passes` (progress in forward passes), `ladder`
(the runner), `report` (the plain-text table) and `views` (what the notebook shows: headline
figures and narrow tables, every timing with its spread and noise flag).
Importing the package loads neither torch nor transformers nor onnx: the torch-backed names below
are imported on first use, so a notebook can show the rungs and thresholds at once.
"""

from __future__ import annotations

from gpulab.lazy_exports import lazy_getattr
from gpulab.workloads.inference.config import DEFAULT_RUNGS, LadderConfig
from gpulab.workloads.inference.drift import THRESHOLDS, Drift, DriftThreshold, compare_outputs
from gpulab.workloads.inference.passes import PassCount, planned_passes
from gpulab.workloads.inference.presets import (
    FAMILIES,
    MODELS,
    BertShape,
    ModelPreset,
    ResNetConfig,
)
from gpulab.workloads.inference.report import format_ladder
from gpulab.workloads.inference.results import LadderResult, RungResult
from gpulab.workloads.inference.rungs import (
    PRECISIONS,
    RUNG_ORDER,
    RUNGS,
    Recipe,
    Rung,
    builds_on,
    matched_baseline,
    plan_rungs,
    recipe_for,
)
from gpulab.workloads.inference.views import (
    Figure,
    clean_spread,
    drift_rows,
    format_rate,
    format_ratio,
    headline_figures,
    noise_warning,
    noisy_rungs,
    ratio_noise,
    speedup_rows,
    status_lines,
    timing_rows,
)

# The submodules that import torch, and the names they give this package (imported on first use).
_TORCH_BACKED: dict[str, tuple[str, ...]] = {
    "ladder": (
        "GPU_MIN_REPEATS",
        "MIB",
        "attribute_speedups",
        "run_ladder",
        "run_rung",
    ),
    "models": ("Encoder", "load_cnn", "load_transformer", "prepare_model", "set_attention"),
    "onnx_rung": ("export_onnx", "onnx_providers", "resolve_exporter"),
    "resnet": (
        "RANDOM_RESIDUAL_GAMMA",
        "Bottleneck",
        "ResNet",
        "calibrate_batchnorm",
        "center_classifier",
    ),
    "rung_setup": ("Built", "dtype_of", "place", "tf32_mode"),
    "torch_rungs": ("capture_cuda_graph",),
}
__getattr__ = lazy_getattr(__name__, globals(), _TORCH_BACKED)


__all__ = [
    "DEFAULT_RUNGS",
    "FAMILIES",
    "GPU_MIN_REPEATS",
    "MIB",
    "MODELS",
    "PRECISIONS",
    "RANDOM_RESIDUAL_GAMMA",
    "RUNGS",
    "RUNG_ORDER",
    "THRESHOLDS",
    "BertShape",
    "Bottleneck",
    "Built",
    "Drift",
    "DriftThreshold",
    "Encoder",
    "Figure",
    "LadderConfig",
    "LadderResult",
    "ModelPreset",
    "PassCount",
    "Recipe",
    "ResNet",
    "ResNetConfig",
    "Rung",
    "RungResult",
    "attribute_speedups",
    "builds_on",
    "calibrate_batchnorm",
    "capture_cuda_graph",
    "center_classifier",
    "clean_spread",
    "compare_outputs",
    "drift_rows",
    "dtype_of",
    "export_onnx",
    "format_ladder",
    "format_rate",
    "format_ratio",
    "headline_figures",
    "load_cnn",
    "load_transformer",
    "matched_baseline",
    "noise_warning",
    "noisy_rungs",
    "onnx_providers",
    "place",
    "plan_rungs",
    "planned_passes",
    "prepare_model",
    "ratio_noise",
    "recipe_for",
    "resolve_exporter",
    "run_ladder",
    "run_rung",
    "set_attention",
    "speedup_rows",
    "status_lines",
    "tf32_mode",
    "timing_rows",
]
