"""The rungs of the ladder: what each changes, why it can be faster, and how they stack.

A rung is a *recipe* (precision, memory layout, attention kernel, compiler, CUDA graphs, runtime)
applied to the same FP32 master weights. Each rung names the rung it adds its one change to
(`builds_on`) and the eager rung of its precision (`matched_baseline`), so every gain is
attributed to its cause. Pure data: nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gpulab.workloads.inference.presets import FAMILIES

if TYPE_CHECKING:
    from gpulab.workloads.inference.config import LadderConfig

PRECISIONS = ("fp32", "tf32", "bf16", "fp16")


@dataclass(frozen=True)
class Recipe:
    """What a rung runs: each field is one optimisation, so rungs differ by exactly their change."""

    precision: str = "fp32"  # fp32 (IEEE) | tf32 | bf16 | fp16
    channels_last: bool = False  # CNN only
    sdpa: bool = False  # transformer only
    compile_mode: str | None = None  # torch.compile mode
    cuda_graphs: bool = False
    runtime: str = "torch"  # torch | onnxruntime | tensorrt


@dataclass(frozen=True)
class Rung:
    name: str
    changes: str  # what this rung changes, one line
    why: str  # why it can be faster
    families: tuple[str, ...] = FAMILIES
    needs_cuda: bool = False


RUNGS: dict[str, Rung] = {
    rung.name: rung
    for rung in [
        Rung(
            "eager-fp32",
            "PyTorch eager, IEEE FP32 (TF32 off): the reference",
            "Nothing: every kernel is launched from Python one by one, on FP32 CUDA cores.",
        ),
        Rung(
            "tf32",
            "TF32 tensor cores for FP32 matmuls and convolutions",
            "Tensor cores multiply with a 10-bit mantissa and accumulate in FP32: same tensors, "
            "same memory traffic, far more FLOP/s. PyTorch already uses it for convolutions by "
            "default.",
        ),
        Rung(
            "bf16",
            "weights and activations in bfloat16",
            "Half the bytes per value (memory-bound layers move half the data) and the full-rate "
            "16-bit tensor-core path; bf16 keeps FP32's exponent range, so nothing overflows.",
        ),
        Rung(
            "fp16",
            "weights and activations in float16",
            "The same tensor-core path as bf16 with three more mantissa bits, but a narrow "
            "range (max 65504): large activations can overflow to inf.",
        ),
        Rung(
            "channels-last",
            "+ NHWC memory layout (channels last), at the fast precision",
            "cuDNN's tensor-core convolutions want channels innermost; in NCHW every conv pays "
            "for transposes.",
            families=("cnn",),
        ),
        Rung(
            "sdpa",
            "+ fused scaled-dot-product attention (flash / memory-efficient kernels)",
            "One kernel computes softmax(QK^T)V in tiles held on chip, instead of writing the "
            "seq x seq score matrix to memory and reading it back three times.",
            families=("transformer",),
        ),
        Rung(
            "compile",
            "+ torch.compile (inductor, default mode, weights frozen)",
            "Fuses the element-wise work (activation, residual add, LayerNorm, GELU) into few "
            "generated kernels: fewer launches, fewer round trips to memory. With the weights "
            "frozen as constants (inference only), each BatchNorm folds into its convolution.",
        ),
        Rung(
            "cuda-graphs",
            "+ CUDA graph: the compiled forward captured once, replayed",
            "A replay launches the whole forward as one graph: the CPU no longer issues hundreds "
            "of kernel launches per call, so small kernels stop waiting on Python.",
            needs_cuda=True,
        ),
        Rung(
            "max-autotune",
            "+ torch.compile mode='max-autotune-no-cudagraphs'",
            "Also benchmarks Triton matmul/conv templates against cuBLAS/cuDNN and keeps the "
            "fastest per shape. Costs minutes of compilation (ResNet-50: several), so opt-in. "
            "CUDA graphs stay off here: they are their own rung.",
        ),
        Rung(
            "onnxruntime",
            "ONNX export, FP32, run by ONNX Runtime (TensorRT > CUDA > CPU provider)",
            "A separate runtime with its own graph optimisations (constant folding, conv+BN and "
            "attention fusions) and no Python in the loop.",
        ),
        Rung(
            "onnxruntime-fp16",
            "ONNX export in float16, run by a GPU provider of ONNX Runtime",
            "ONNX Runtime's fused kernels in half precision.",
        ),
        Rung(
            "tensorrt",
            "torch-tensorrt: a TensorRT engine built from the fast-precision model",
            "TensorRT picks and fuses kernels per layer for this GPU and these exact shapes.",
        ),
    ]
}
RUNG_ORDER = tuple(RUNGS)


def recipe_for(rung: str, fast_precision: str) -> Recipe:
    """Each rung's recipe; `fast_precision` is what the rungs after the precision step use."""
    fast = Recipe(fast_precision, channels_last=True, sdpa=True)
    recipes = {
        "eager-fp32": Recipe(),
        "tf32": Recipe("tf32"),
        "bf16": Recipe("bf16"),
        "fp16": Recipe("fp16"),
        "channels-last": Recipe(fast_precision, channels_last=True),
        "sdpa": Recipe(fast_precision, sdpa=True),
        "compile": replace(fast, compile_mode="default"),
        "max-autotune": replace(fast, compile_mode="max-autotune-no-cudagraphs"),
        "cuda-graphs": replace(fast, compile_mode="default", cuda_graphs=True),
        "onnxruntime": Recipe(runtime="onnxruntime"),
        "onnxruntime-fp16": Recipe("fp16", runtime="onnxruntime"),
        "tensorrt": replace(fast, runtime="tensorrt"),
    }
    return recipes[rung]


def builds_on(rung: str, family: str, fast_precision: str) -> str | None:
    """The rung this one adds its single change to (for the per-step speed-up)."""
    layout = "channels-last" if family == "cnn" else "sdpa"
    return {
        "tf32": "eager-fp32",
        "bf16": "tf32",
        "fp16": "tf32",
        "channels-last": matched_baseline(fast_precision),
        "sdpa": matched_baseline(fast_precision),
        "compile": layout,
        "max-autotune": "compile",
        "cuda-graphs": "compile",
        "onnxruntime": "eager-fp32",
        "onnxruntime-fp16": "fp16",
        "tensorrt": layout,
    }.get(rung)


def matched_baseline(precision: str) -> str:
    """The eager rung of the same precision: the baseline a precision-matched speed-up uses."""
    return "eager-fp32" if precision == "fp32" else precision


def plan_rungs(config: LadderConfig) -> list[str]:
    """The rungs to run, in ladder order, plus what the speed-ups need.

    eager-fp32 always runs (the reference for drift and speed-ups), and so does the eager rung of
    each precision in use (the precision-matched baseline). Unknown names are kept at the end:
    they become failed rows, so a typo shows instead of vanishing.
    """
    wanted = list(dict.fromkeys(config.rungs))
    known = [r for r in wanted if r in RUNGS]
    needed = {"eager-fp32", *known}
    for name in known:
        if config.family in RUNGS[name].families:
            needed.add(matched_baseline(recipe_for(name, config.fast_precision).precision))
    return [r for r in RUNG_ORDER if r in needed] + [r for r in wanted if r not in RUNGS]
