"""The inference optimisation ladder: one model, one input batch, each optimisation measured alone.

A ladder is a list of rungs. Each rung is a *recipe* (precision, memory layout, attention kernel,
compiler, CUDA graphs, runtime) applied to the same FP32 master weights and run on the same inputs:

    eager-fp32 -> tf32 -> bf16 -> +channels-last / +sdpa -> +compile -> +cuda-graphs
                                  side rungs: fp16, max-autotune, onnxruntime(-fp16), tensorrt

Every rung is timed with `gpulab.timing.benchmark` (CUDA events on a GPU) after a separately timed
first call (that is where compilation, autotuning and lazy initialisation go), and its output is
compared with the FP32 reference: a rung whose drift exceeds its precision's threshold is *not
verified* and never counts as the best rung. Speed-ups are reported three ways so each gain is
attributed to its cause: against eager FP32 (the whole ladder so far), against the eager rung of
the *same* precision (what the non-precision tricks bought), and against the rung it builds on
(what this one step bought).

FP32 here means IEEE FP32: PyTorch lets cuDNN convolutions use TF32 by default, so the eager-fp32
rung switches TF32 off and the tf32 rung switches it on. Each rung is isolated: an unknown rung,
a compile failure, an out-of-memory or a missing library marks that rung failed or skipped with
the reason, and the ladder goes on.

Models are built from their architecture: ResNet (torchvision's module names, so torchvision/timm
checkpoints load) written here in plain torch, and BERT via `transformers.BertModel`. Random
weights are the default (labelled as such); `weights=` takes a local path or a hub id.
"""

from __future__ import annotations

import copy
import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gpulab.deps import is_available, require
from gpulab.errors import MissingDependencyError, UsageError
from gpulab.memory import GpuOutOfMemory, oom_guard, release_memory
from gpulab.repro import seed_everything
from gpulab.timing import benchmark, synchronize

MIB = 2**20
GPU_MIN_REPEATS = 50
FAMILIES = ("cnn", "transformer")
PRECISIONS = ("fp32", "tf32", "bf16", "fp16")

# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResNetConfig:
    """Bottleneck ResNet: (3, 4, 6, 3) blocks of base width 64 is ResNet-50."""

    blocks: tuple[int, ...] = (3, 4, 6, 3)
    width: int = 64
    num_classes: int = 1000


@dataclass(frozen=True)
class BertShape:
    """The BERT sizes we vary; everything else is `transformers.BertConfig`'s default."""

    hidden_size: int = 768
    num_hidden_layers: int = 12
    num_attention_heads: int = 12
    intermediate_size: int = 3072
    vocab_size: int = 30522
    max_position_embeddings: int = 512


@dataclass(frozen=True)
class ModelPreset:
    name: str
    family: str
    label: str
    architecture: ResNetConfig | BertShape


MODELS: dict[str, ModelPreset] = {
    preset.name: preset
    for preset in [
        ModelPreset("resnet50", "cnn", "ResNet-50", ResNetConfig()),
        ModelPreset("resnet-tiny", "cnn", "tiny ResNet (smoke)", ResNetConfig((1, 1, 1, 1), 8, 10)),
        ModelPreset("bert-base", "transformer", "BERT-base encoder", BertShape()),
        ModelPreset(
            "bert-tiny",
            "transformer",
            "tiny BERT encoder (smoke)",
            BertShape(64, 2, 4, 128, 1000, 128),
        ),
    ]
}


class Bottleneck(nn.Module):
    """1x1 reduce -> 3x3 (carries the stride, as torchvision's v1.5) -> 1x1 expand, + shortcut."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        return self.relu(self.bn3(self.conv3(y)) + shortcut)


class ResNet(nn.Module):
    """ResNet with torchvision's module names (conv1, bn1, layer1..4, fc): its checkpoints load.

    `residual_gamma` initialises the scale of each block's last BatchNorm, i.e. how loud each
    residual branch starts (torchvision: 1, or 0 with `zero_init_residual`).
    """

    def __init__(self, config: ResNetConfig, residual_gamma: float = 1.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, config.width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(config.width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = config.width
        stages = []
        for stage, count in enumerate(config.blocks):
            planes = config.width * 2**stage
            blocks = []
            for index in range(count):
                blocks.append(Bottleneck(inplanes, planes, 2 if stage > 0 and index == 0 else 1))
                inplanes = planes * Bottleneck.expansion
            self.add_module(f"layer{stage + 1}", nn.Sequential(*blocks))
            stages.append(f"layer{stage + 1}")
        self.stages = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inplanes, config.num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            if isinstance(module, Bottleneck):
                nn.init.constant_(module.bn3.weight, residual_gamma)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = getattr(self, stage)(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Encoder(nn.Module):
    """BERT returning `last_hidden_state` only: compile, ONNX and CUDA graphs want one tensor.

    The batch is fixed-length and unpadded, so no attention mask is passed and every kernel sees
    static shapes.
    """

    def __init__(self, bert: Any) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.bert(input_ids=input_ids).last_hidden_state


# Random weights that behave like trained ones where it matters here: how rounding propagates.
# With every residual branch at full scale (gamma 1) a random ResNet-50 is chaotic: rounding just
# its weights and input to bf16 moved its logits by ~18% (CPU, 32 images at 128 px). Trained
# ResNets have small last-BN scales (the reason torchvision offers zero_init_residual); at 0.25
# the same rounding moves them by under 2% while every branch still contributes.
RANDOM_RESIDUAL_GAMMA = 0.25


def calibrate_batchnorm(model: Any, make_batch: Callable[[], Any], batches: int = 2) -> None:
    """Give a random-weight CNN real BatchNorm statistics (the mean/variance of its activations).

    Freshly initialised BatchNorm layers hold mean 0 / variance 1, so in eval mode activations
    grow block after block until every image gets nearly the same logits: drift and top-1
    agreement would then be meaningless. A few forward passes in train mode fix that.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average over the calibration batches
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(make_batch())
    model.eval()


def center_classifier(model: Any, make_batch: Callable[[], Any], batches: int = 2) -> None:
    """Set a random classifier's bias so each class's mean logit over random inputs is zero.

    Pooled ReLU features share a large common part, so a random head gives every image nearly
    the same logits and the same top-1 class; centred, the logits are what differs between
    inputs, and relative error and top-1 agreement measure something.
    """
    with torch.no_grad():
        mean = torch.stack([model(make_batch()).mean(0) for _ in range(batches)]).mean(0)
        model.fc.bias -= mean


def _load_state_dict(source: str) -> dict[str, Any]:
    """A torchvision/timm-style state dict from a file, or `model.safetensors` of a hub repo."""
    path = Path(source).expanduser()
    if not path.exists():
        if source.startswith((".", "/", "~")) or source.count("/") != 1:
            raise UsageError(f"weights {source!r}: no such file, and not a hub id (owner/name)")
        hub = require("huggingface_hub")
        path = Path(hub.hf_hub_download(source, "model.safetensors"))
    if path.is_dir():
        candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.pth"))
        if not candidates:
            raise UsageError(f"weights folder {path} holds no .safetensors or .pth file")
        path = candidates[0]
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path))
    else:
        state = torch.load(path, map_location="cpu", weights_only=True)
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_cnn(preset: ModelPreset, weights: str | None) -> Any:
    """The preset's ResNet, with random weights or a checkpoint (class count read from its fc)."""
    config = preset.architecture
    assert isinstance(config, ResNetConfig)
    if weights is None:
        return ResNet(config, residual_gamma=RANDOM_RESIDUAL_GAMMA).eval()
    state = _load_state_dict(weights)
    if "fc.weight" in state:
        config = replace(config, num_classes=int(state["fc.weight"].shape[0]))
    model = ResNet(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise UsageError(f"weights {weights!r} do not fit {preset.label}: {err}") from err
    return model.eval()


def load_transformer(preset: ModelPreset, weights: str | None, seq_len: int) -> Any:
    """A BERT encoder (random or pretrained weights) wrapped to return one tensor."""
    transformers = require("transformers")
    if weights is None:
        shape = preset.architecture
        assert isinstance(shape, BertShape)
        config = transformers.BertConfig(**asdict(shape), attn_implementation="eager")
        bert = transformers.BertModel(config, add_pooling_layer=False)
    else:
        try:
            bert = transformers.BertModel.from_pretrained(
                weights, add_pooling_layer=False, attn_implementation="eager"
            )
        except OSError as err:
            raise UsageError(f"weights {weights!r}: {err}") from err
    if seq_len > bert.config.max_position_embeddings:
        raise UsageError(
            f"sequence length {seq_len} exceeds this model's "
            f"{bert.config.max_position_embeddings} positions"
        )

    return Encoder(bert).eval()


def set_attention(encoder: Any, implementation: str) -> None:
    """Switch a BERT encoder between the eager (matmul-softmax-matmul) and SDPA attention."""
    bert = encoder.bert
    if hasattr(bert, "set_attn_implementation"):
        bert.set_attn_implementation(implementation)
    else:  # transformers < 4.56
        bert.config._attn_implementation = implementation


# --------------------------------------------------------------------------------------------
# Rungs
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Drift against the FP32 reference
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftThreshold:
    """The most a rung of this precision may differ from the FP32 reference and still count."""

    max_relative_error: float  # worst sample's ||output - reference|| / ||reference||
    min_top1: float  # least share of samples keeping the reference's arg-max class


# The criterion is the relative L2 error of the worst sample: it grows linearly with the error,
# where cosine similarity (1 - cos ~ error^2 / 2) cannot tell one bf16 rounding from FP32 noise.
# Bounds are set for random weights, the harsh case: their logits are near-tied (top-1 flips on
# tiny errors) and rounding in bf16 moved a random ResNet-50's centred logits by ~9% (CPU,
# 32 images at 128 px), where a trained model moves by ~1%. A wrong result (another sample's
# output, garbage, a mis-laid-out tensor) lands at >= 1.
THRESHOLDS: dict[str, DriftThreshold] = {
    "fp32": DriftThreshold(1e-3, 0.99),
    "tf32": DriftThreshold(0.05, 0.90),
    "bf16": DriftThreshold(0.25, 0.60),
    "fp16": DriftThreshold(0.25, 0.60),
}


@dataclass
class Drift:
    """How far a rung's output is from the FP32 reference on the same inputs."""

    max_abs_diff: float
    relative_error_max: float  # worst sample's ||diff|| / ||reference||
    cosine_min: float  # worst sample's cosine similarity
    cosine_mean: float
    top1_agreement: float | None  # share of samples with the same arg-max class (CNN logits)
    threshold: DriftThreshold
    verified: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_outputs(
    reference: Any, output: Any, precision: str, classification: bool = False
) -> Drift:
    """Drift of `output` against `reference`; `verified` is False when it exceeds the threshold."""
    threshold = THRESHOLDS[precision]
    if tuple(output.shape) != tuple(reference.shape):
        reason = f"shape {tuple(output.shape)} != reference {tuple(reference.shape)}"
        return Drift(math.inf, math.inf, -1.0, -1.0, None, threshold, False, reason)
    ref = reference.detach().double().cpu().reshape(reference.shape[0], -1)
    out = output.detach().double().cpu().reshape(output.shape[0], -1)
    finite = bool(torch.isfinite(out).all())
    diff = out - ref
    relative = diff.norm(dim=1) / ref.norm(dim=1).clamp_min(1e-30)
    relative_max = float(relative.max()) if finite else math.inf
    cosine = torch.nan_to_num(torch.nn.functional.cosine_similarity(out, ref, dim=1), nan=-1.0)
    top1 = float((out.argmax(1) == ref.argmax(1)).double().mean()) if classification else None
    problems = []
    if not finite:
        problems.append("non-finite values (inf/NaN) in the output")
    elif relative_max > threshold.max_relative_error:
        problems.append(f"relative error {relative_max:.3g} > {threshold.max_relative_error}")
    if top1 is not None and top1 < threshold.min_top1:
        problems.append(f"top-1 agreement {top1:.3f} < {threshold.min_top1}")
    return Drift(
        max_abs_diff=float(diff.abs().max()) if finite else math.inf,
        relative_error_max=relative_max,
        cosine_min=float(cosine.min()),
        cosine_mean=float(cosine.mean()),
        top1_agreement=top1,
        threshold=threshold,
        verified=not problems,
        reason="; ".join(problems),
    )


# --------------------------------------------------------------------------------------------
# The ladder
# --------------------------------------------------------------------------------------------

DEFAULT_RUNGS = RUNG_ORDER


@dataclass(frozen=True)
class LadderConfig:
    """One ladder: a model, an input shape, the rungs to run and how long to time each."""

    model: str = "resnet50"
    batch: int = 64
    resolution: int = 224  # CNN input: batch x 3 x resolution x resolution
    seq_len: int = 128  # transformer input: batch x seq_len token ids
    rungs: tuple[str, ...] = DEFAULT_RUNGS
    fast_precision: str = "bf16"  # precision of the rungs after the precision step
    weights: str | None = None  # local path or hub id; None = random weights
    device: str | None = None  # None = CUDA when available, else CPU
    allow_max_autotune: bool = False  # max-autotune compiles for minutes: opt-in
    compile_backend: Any = "inductor"
    freeze_weights: bool = True  # inductor freezing: weights as constants, BatchNorm folded
    onnx_exporter: str = "auto"  # dynamo (needs onnxscript) | torchscript | auto
    warmup: int = 10
    repeats: int = 100  # timed calls per rung; fewer only when a call outlasts the budget
    min_repeats: int = 5
    rung_budget_s: float = 5.0  # at most this many seconds of timed calls per rung
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise UsageError(f"unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        if self.batch < 1:
            raise UsageError(f"batch size must be at least 1, got {self.batch}")
        if self.resolution < 32:
            raise UsageError(f"resolution must be at least 32 pixels, got {self.resolution}")
        if self.seq_len < 1:
            raise UsageError(f"sequence length must be at least 1, got {self.seq_len}")
        if self.fast_precision not in PRECISIONS:
            raise UsageError(
                f"fast_precision must be one of {', '.join(PRECISIONS)}, "
                f"got {self.fast_precision!r}"
            )
        if self.onnx_exporter not in ("auto", "dynamo", "torchscript"):
            raise UsageError(f"unknown ONNX exporter {self.onnx_exporter!r}")
        if self.warmup < 0 or self.min_repeats < 1 or self.repeats < self.min_repeats:
            raise UsageError("need warmup >= 0 and 1 <= min_repeats <= repeats")

    @property
    def preset(self) -> ModelPreset:
        return MODELS[self.model]

    @property
    def family(self) -> str:
        return self.preset.family

    @property
    def input_label(self) -> str:
        if self.family == "cnn":
            return f"{self.batch} x 3 x {self.resolution} x {self.resolution} images"
        return f"{self.batch} x {self.seq_len} tokens"

    @classmethod
    def smoke(cls, family: str = "cnn", **overrides: Any) -> LadderConfig:
        """A tiny model on the CPU with the rungs CI exercises: eager, compile, ONNX Runtime."""
        settings: dict[str, Any] = {
            "model": "resnet-tiny" if family == "cnn" else "bert-tiny",
            "batch": 4,
            "resolution": 32,
            "seq_len": 16,
            "rungs": ("eager-fp32", "compile", "onnxruntime"),
            "fast_precision": "fp32",  # a CPU without bf16 units gains nothing from it
            "device": "cpu",
            "warmup": 2,
            "repeats": 20,
            "rung_budget_s": 1.0,
        }
        return cls(**{**settings, **overrides})


@dataclass
class RungResult:
    """One rung's measurements, or why it has none."""

    rung: str
    status: str  # ok | failed | skipped
    reason: str = ""
    changes: str = ""
    precision: str = ""
    backend: str = ""
    device: str = ""  # where the timed work ran: cuda or cpu
    builds_on: str | None = None  # the rung this one adds its change to
    baseline: str | None = None  # the eager rung of the same precision
    setup_s: float | None = None  # export, session creation, capture: before the first call
    first_call_s: float | None = None  # includes compilation for compiled rungs
    latencies_ms: list[float] = field(default_factory=list)
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    samples_per_s: float | None = None  # batch / median latency
    peak_memory_mib: float | None = None  # torch's allocator during the timed calls
    drift: Drift | None = None
    verified: bool = False
    speedup_vs_fp32: float | None = None
    speedup_matched: float | None = None
    speedup_step: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def compile_s(self) -> float | None:
        """Everything before steady state: setup plus the first call."""
        if self.first_call_s is None:
            return None
        return (self.setup_s or 0.0) + self.first_call_s

    def to_dict(self, latencies: bool = True) -> dict[str, Any]:
        data = asdict(self)
        data["compile_s"] = self.compile_s
        data["repeats"] = len(self.latencies_ms)
        if not latencies:
            data.pop("latencies_ms")
        return data


@dataclass
class LadderResult:
    config: LadderConfig
    model_label: str
    weights_label: str
    device: str
    rungs: list[RungResult]

    def get(self, name: str) -> RungResult | None:
        return next((r for r in self.rungs if r.rung == name), None)

    def best_verified(self) -> RungResult | None:
        """The fastest rung whose output matched the FP32 reference within its threshold."""
        candidates = [r for r in self.rungs if r.ok and r.verified and r.samples_per_s]
        return max(candidates, key=lambda r: r.samples_per_s or 0.0, default=None)

    def table(self) -> list[dict[str, Any]]:
        """One flat row per rung, for a dataframe or a printed table."""
        return [
            {
                "rung": r.rung,
                "status": r.status if r.ok else f"{r.status}: {r.reason}",
                "precision": r.precision,
                "backend": r.backend,
                "p50 ms": r.p50_ms,
                "p90 ms": r.p90_ms,
                "p99 ms": r.p99_ms,
                "samples/s": r.samples_per_s,
                "vs eager fp32": r.speedup_vs_fp32,
                "precision-matched": r.speedup_matched,
                "this step": r.speedup_step,
                "compile s": r.compile_s,
                "peak MiB": r.peak_memory_mib,
                "max |diff|": r.drift.max_abs_diff if r.drift else None,
                "rel. error": r.drift.relative_error_max if r.drift else None,
                "cosine (worst)": r.drift.cosine_min if r.drift else None,
                "top-1 agree": r.drift.top1_agreement if r.drift else None,
                "verified": r.verified,
            }
            for r in self.rungs
        ]

    def to_dict(self, latencies: bool = False) -> dict[str, Any]:
        best = self.best_verified()
        return {
            "model": self.model_label,
            "weights": self.weights_label,
            "device": self.device,
            "input": self.config.input_label,
            "batch": self.config.batch,
            "fast_precision": self.config.fast_precision,
            "best_verified": best.rung if best else None,
            "rungs": [r.to_dict(latencies) for r in self.rungs],
        }


class _Skip(Exception):
    """A rung that cannot run here (no GPU, an opt-in not given): skipped, not failed."""


@dataclass
class Built:
    """A rung ready to time: `run()` does one forward on the bound inputs and returns the output."""

    run: Callable[[], Any]
    backend: str
    device: str  # where the timed work runs ("cuda" or "cpu"): picks the timing clock
    setup_s: float = 0.0
    tracks_memory: bool = True  # False when a runtime allocates outside torch's allocator


@dataclass
class _Ladder:
    """What every rung builder needs: the master weights, the inputs, the device, shared work."""

    config: LadderConfig
    master: Any  # the FP32 model on the CPU: each rung takes its own copy
    inputs: Any  # CPU tensor: images (float32) or token ids (int64)
    device: Any
    compiled: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # mode -> (compiled, inputs)

    @property
    def cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def cnn(self) -> bool:
        return self.config.family == "cnn"


def dtype_of(precision: str) -> torch.dtype:
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


@contextmanager
def tf32_mode(enabled: bool) -> Iterator[None]:
    """TF32 on or off for both cuBLAS matmuls and cuDNN convolutions, restored afterwards."""
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def place(ctx: _Ladder, recipe: Recipe, device: Any = None) -> tuple[Any, Any]:
    """A copy of the master model and of the inputs, placed and cast as the recipe says."""
    device = ctx.device if device is None else device
    model = copy.deepcopy(ctx.master)
    if ctx.config.family == "transformer":
        set_attention(model, "sdpa" if recipe.sdpa else "eager")
    model = model.to(device, dtype_of(recipe.precision)).eval()
    inputs = ctx.inputs.to(device)
    if ctx.config.family == "cnn":
        inputs = inputs.to(dtype_of(recipe.precision))
        if recipe.channels_last:
            model = model.to(memory_format=torch.channels_last)
            inputs = inputs.contiguous(memory_format=torch.channels_last)
    return model, inputs


def capture_cuda_graph(forward: Callable[[Any], Any], example: Any, warmup: int = 3) -> Any:
    """Record `forward(static_input)` once as a CUDA graph; the returned fn copies in and replays.

    A graph replays the recorded kernels with their recorded pointers, so the input must live in
    the same buffer every time (`static_input`) and the output is always the same tensor.
    """
    static_input = example.clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):  # warm up off the default stream, as capture requires
        for _ in range(warmup):
            forward(static_input)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        static_output = forward(static_input)

    def replay(x: Any) -> Any:
        static_input.copy_(x)
        graph.replay()
        return static_output

    replay.graph = graph  # the graph (and its memory pool) lives as long as the function
    return replay


def _backend_name(backend: Any) -> str:
    return backend if isinstance(backend, str) else getattr(backend, "__name__", "custom")


def _build_torch(ctx: _Ladder, recipe: Recipe) -> Built:
    device = ctx.device.type
    if recipe.compile_mode is None:
        model, inputs = place(ctx, recipe)
        return Built(lambda: model(inputs), "PyTorch eager", device)
    backend = ctx.config.compile_backend
    frozen = ", frozen weights" if ctx.config.freeze_weights and backend == "inductor" else ""
    label = f"torch.compile({_backend_name(backend)}, {recipe.compile_mode}{frozen})"
    if not recipe.cuda_graphs:
        model, inputs = place(ctx, recipe)
        compiled = torch.compile(
            model, mode=recipe.compile_mode, backend=ctx.config.compile_backend
        )
        ctx.compiled[recipe.compile_mode] = (compiled, inputs)  # for the graph rung
        return Built(lambda: compiled(inputs), label, device)
    started = time.perf_counter()
    reused = recipe.compile_mode in ctx.compiled
    if not reused:  # the compile rung did not run (or failed): compile here
        model, inputs = place(ctx, recipe)
        compiled = torch.compile(
            model, mode=recipe.compile_mode, backend=ctx.config.compile_backend
        )
        ctx.compiled[recipe.compile_mode] = (compiled, inputs)
    compiled, inputs = ctx.compiled[recipe.compile_mode]
    replay = capture_cuda_graph(compiled, inputs)
    synchronize()
    origin = "the compile rung's" if reused else "a newly"
    return Built(
        lambda: replay(inputs),
        f"CUDA graph (torch.cuda.graph) replaying {origin} {label}",
        device,
        setup_s=time.perf_counter() - started,
    )


def onnx_providers(available: list[str]) -> list[str]:
    """Which ONNX Runtime providers to ask for, best first: TensorRT > CUDA > CPU."""
    order = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in order if p in available]


def resolve_exporter(choice: str) -> str:
    """'dynamo' (torch.export based, needs onnxscript) when possible, else the TorchScript one."""
    if choice == "auto":
        return "dynamo" if is_available("onnxscript") else "torchscript"
    if choice == "dynamo":
        require("onnxscript")
    return choice


def export_onnx(model: Any, example: Any, path: Path, exporter: str) -> None:
    """Write `model(example)` as an ONNX graph with static shapes: input 'input', output 'output'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporters' deprecation chatter is not the user's
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["input"],
            output_names=["output"],
            dynamo=exporter == "dynamo",
            verbose=False,
        )


def _gpu_provider_options(provider: str, index: int, precision: str) -> dict[str, Any]:
    """Run on torch's current stream (CUDA events then time ORT's work exactly); FP32 stays FP32."""
    stream = str(torch.cuda.current_stream().cuda_stream)
    options: dict[str, Any] = {
        "device_id": index,
        "has_user_compute_stream": 1,
        "user_compute_stream": stream,
    }
    if provider == "TensorrtExecutionProvider":
        options["trt_fp16_enable"] = precision == "fp16"
    else:
        options["use_tf32"] = 0
    return options


_NUMPY_TYPES = {torch.float32: "float32", torch.float16: "float16", torch.int64: "int64"}


def _build_onnxruntime(ctx: _Ladder, recipe: Recipe) -> Built:
    import numpy as np

    require("onnx")
    ort = require("onnxruntime")
    exporter = resolve_exporter(ctx.config.onnx_exporter)
    providers = onnx_providers(ort.get_available_providers())
    gpu_providers = [p for p in providers if p != "CPUExecutionProvider"] if ctx.cuda else []
    if recipe.precision == "fp16" and not gpu_providers:
        raise _Skip(
            "a float16 ONNX graph needs a GPU and a GPU provider (CUDA/TensorRT); this "
            f"onnxruntime has {', '.join(providers)} (onnxruntime-gpu brings them)"
        )
    started = time.perf_counter()
    model, example = place(ctx, recipe, ctx.device if gpu_providers else torch.device("cpu"))
    index = ctx.device.index or 0
    requested: list[Any] = [
        (p, _gpu_provider_options(p, index, recipe.precision)) for p in gpu_providers
    ]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    with tempfile.TemporaryDirectory(prefix="gpulab-onnx-") as folder:
        path = Path(folder) / "model.onnx"
        export_onnx(model, example, path, exporter)
        del model
        session = ort.InferenceSession(
            str(path), options, providers=[*requested, "CPUExecutionProvider"]
        )
    ran = session.get_providers()[0]  # what ORT actually loaded, not what we asked for
    backend = f"onnxruntime {ort.__version__}, {ran} ({exporter} exporter)"
    setup_s = time.perf_counter() - started
    if ran == "CPUExecutionProvider":
        if ctx.cuda:
            backend += ": no GPU provider loaded, so this rung ran on the CPU"
        feed = {"input": example.cpu().numpy()}
        return Built(
            lambda: torch.from_numpy(session.run(["output"], feed)[0]),
            backend,
            "cpu",
            setup_s,
            tracks_memory=False,
        )
    # GPU provider: bind torch's CUDA tensors in place, so no host copy enters the timing.
    shape = [int(d) for d in session.get_outputs()[0].shape]
    output = torch.empty(shape, dtype=dtype_of(recipe.precision), device=ctx.device)
    example = example.contiguous()
    binding = session.io_binding()
    for bind, name, tensor in (
        (binding.bind_input, "input", example),
        (binding.bind_output, "output", output),
    ):
        element = getattr(np, _NUMPY_TYPES[tensor.dtype])
        bind(name, "cuda", index, element, tuple(tensor.shape), tensor.data_ptr())

    def run() -> Any:
        session.run_with_iobinding(binding)
        return output

    run.bound = (example, output)  # the binding holds raw pointers: keep the tensors alive
    return Built(run, backend, "cuda", setup_s, tracks_memory=False)


def _build_tensorrt(ctx: _Ladder, recipe: Recipe) -> Built:
    """torch-tensorrt's dynamo path. Not run on our hosts (torch-tensorrt is not installable)."""
    torch_tensorrt = require("torch_tensorrt")  # first: a missing install is the news
    if not ctx.cuda:
        raise _Skip("TensorRT needs an NVIDIA GPU")
    started = time.perf_counter()
    model, inputs = place(ctx, recipe)
    engine = torch_tensorrt.compile(
        model, ir="dynamo", inputs=[inputs], enabled_precisions={dtype_of(recipe.precision)}
    )
    synchronize()
    return Built(
        lambda: engine(inputs),
        f"torch-tensorrt {torch_tensorrt.__version__}",
        "cuda",
        setup_s=time.perf_counter() - started,
    )


def _time_rung(ctx: _Ladder, built: Built, result: RungResult) -> Any:
    """First call timed alone, then warm-up and timed repeats; returns the first call's output.

    How many repeats: `config.repeats`, unless one call is so slow that they would outlast
    `rung_budget_s` (a CPU rung); never fewer than `min_repeats`, nor on a GPU than
    GPU_MIN_REPEATS (a p99 from fewer calls is just the maximum).
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
    if on_gpu and built.tracks_memory:
        result.peak_memory_mib = torch.cuda.max_memory_allocated(ctx.device) / MIB
    result.latencies_ms = [s * 1000 for s in timing.samples_s]
    result.p50_ms = timing.median_s * 1000
    result.p90_ms = timing.percentile(90) * 1000
    result.p99_ms = timing.percentile(99) * 1000
    result.samples_per_s = timing.throughput
    return output


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


def _device(config: LadderConfig) -> torch.device:
    if config.device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(config.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError("device 'cuda' asked for, but no CUDA GPU is visible to torch")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
    return device


def prepare_model(config: LadderConfig, device: torch.device) -> tuple[Any, Any, str]:
    """The FP32 master model (on the CPU), the input batch (CPU) and where the weights came from."""
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    if config.family == "cnn":
        model = load_cnn(config.preset, config.weights)
        shape = (3, config.resolution, config.resolution)
        inputs = torch.randn((config.batch, *shape), generator=generator)
        if config.weights is None:  # on the device: ResNet-50 passes are slow on a CPU
            calibration = torch.Generator(device).manual_seed(config.seed + 1)
            model.to(device)

            def random_batch() -> torch.Tensor:
                size = (min(config.batch, 32), *shape)
                return torch.randn(size, generator=calibration, device=device)

            calibrate_batchnorm(model, random_batch)
            center_classifier(model, random_batch)
            model.cpu()
        label = "random weights, calibrated" if config.weights is None else "loaded"
    else:
        model = load_transformer(config.preset, config.weights, config.seq_len)
        vocab = model.bert.config.vocab_size
        inputs = torch.randint(0, vocab, (config.batch, config.seq_len), generator=generator)
        label = "random weights" if config.weights is None else "loaded"
    if config.weights is not None:
        label = f"{label} from {config.weights}"
    return model, inputs, label


def _one_line(err: BaseException, limit: int = 300) -> str:
    """An exception as one readable line (compiler errors span many lines and wrap their cause)."""
    text = f"{type(err).__name__}: {' '.join(str(err).split())}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_rung(ctx: _Ladder, name: str, reference: Any) -> tuple[RungResult, Any]:
    """Build, time and check one rung. Every failure is recorded in the result, never raised."""
    config = ctx.config
    if name not in RUNGS:
        reason = f"unknown rung {name!r} (known: {', '.join(RUNG_ORDER)})"
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
    try:
        if config.family not in rung.families:
            raise _Skip(f"applies to {' and '.join(rung.families)} models only")
        if rung.needs_cuda and not ctx.cuda:
            raise _Skip("needs a CUDA GPU")
        if name == "max-autotune" and not config.allow_max_autotune:
            raise _Skip("opt-in (compile cost: minutes per model); set allow_max_autotune")
        if recipe.precision == "bf16" and ctx.cuda and not torch.cuda.is_bf16_supported():
            raise _Skip("this GPU has no bfloat16 tensor cores (needs compute capability 8.0+)")
        guard = oom_guard(device=ctx.device) if ctx.cuda else nullcontext()
        with guard, torch.no_grad(), tf32_mode(recipe.precision == "tf32"):
            if recipe.runtime == "onnxruntime":
                built = _build_onnxruntime(ctx, recipe)
            elif recipe.runtime == "tensorrt":
                built = _build_tensorrt(ctx, recipe)
            else:
                built = _build_torch(ctx, recipe)
            result.backend = built.backend
            result.device = built.device
            result.setup_s = built.setup_s
            output = _time_rung(ctx, built, result)
            del built
        result.status = "ok"
    except _Skip as why:
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
    config: LadderConfig, on_rung: Callable[[RungResult, int, int], None] | None = None
) -> LadderResult:
    """Run every planned rung in order; `on_rung(result, done, total)` reports progress."""
    device = _device(config)
    master, inputs, weights_label = prepare_model(config, device)
    ctx = _Ladder(config, master, inputs, device)
    plan = plan_rungs(config)
    cudnn_benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True  # every rung alike: cuDNN times its conv algorithms
    results: list[RungResult] = []
    reference = None
    import torch._inductor.config as inductor_config

    try:
        # A compiled rung compiles at its first call: the freezing switch must be set by then.
        with inductor_config.patch(freezing=config.freeze_weights):
            for done, name in enumerate(plan, start=1):
                result, output = run_rung(ctx, name, reference)
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


def format_ladder(result: LadderResult) -> str:
    """The ladder as a plain-text table (what the bench and the device script print)."""

    def cell(value: float | None, width: int, spec: str, suffix: str = "") -> str:
        text = "-" if value is None else format(value, spec) + suffix
        return text.rjust(width)

    columns = [
        ("p50 ms", 9),
        ("p99 ms", 9),
        ("samples/s", 11),
        ("vs fp32", 10),
        ("matched", 10),
        ("step", 9),
        ("compile s", 10),
        ("peak MiB", 10),
        ("rel.err", 9),
        ("top-1", 7),
    ]
    header = f"{'rung':<17}{'prec':<6}" + "".join(name.rjust(w) for name, w in columns)
    lines = [
        f"{result.model_label} ({result.weights_label}) on {result.device}: "
        f"{result.config.input_label}, fast precision {result.config.fast_precision}",
        header + "  verified / status",
    ]
    for r in result.rungs:
        drift = r.drift
        if not r.ok:
            status = f"{r.status}: {r.reason}"
        elif r.verified:
            status = "verified"
        else:
            status = f"NOT verified: {drift.reason if drift else r.reason}"
        lines.append(
            f"{r.rung:<17}{r.precision:<6}"
            + cell(r.p50_ms, 9, ".3f")
            + cell(r.p99_ms, 9, ".3f")
            + cell(r.samples_per_s, 11, ".1f")
            + cell(r.speedup_vs_fp32, 10, ".2f", "x")
            + cell(r.speedup_matched, 10, ".2f", "x")
            + cell(r.speedup_step, 9, ".2f", "x")
            + cell(r.compile_s, 10, ".1f")
            + cell(r.peak_memory_mib, 10, ".0f")
            + cell(drift.relative_error_max if drift else None, 9, ".1e")
            + cell(drift.top1_agreement if drift else None, 7, ".3f")
            + f"  {status}"
        )
    best = result.best_verified()
    lines.append(f"best verified rung: {best.rung if best else 'none'}")
    return "\n".join(lines)
