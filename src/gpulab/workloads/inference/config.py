"""What one ladder runs: a model, an input shape, the rungs, how long to time each, per profile."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError
from gpulab.workloads.inference.presets import FAMILIES, MODELS, ModelPreset
from gpulab.workloads.inference.rungs import PRECISIONS, RUNG_ORDER

DEFAULT_RUNGS = RUNG_ORDER

# The model of each family a profile runs: smoke a tiny one through the same code, full the real one.
PROFILE_MODELS: dict[str, dict[str, str]] = {
    profiles.SMOKE: {"cnn": "resnet-tiny", "transformer": "bert-tiny"},
    profiles.FULL: {"cnn": "resnet50", "transformer": "bert-base"},
}
SMOKE_RUNGS = ("eager-fp32", "compile", "onnxruntime")  # the rungs that run without a GPU


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
        if not self.rungs:
            raise UsageError(
                "no rungs chosen: pick at least one (eager-fp32, the reference, runs with them)"
            )
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

    @classmethod
    def for_profile(cls, profile: str, family: str = "cnn", **overrides: Any) -> LadderConfig:
        """The notebook's ladder for one model family (`cnn` or `transformer`) under a profile.

        smoke: the tiny model at batch 4 (32 px images, 16 tokens) with the rungs that run
        without a GPU (eager, compile, ONNX Runtime), fp32 as the fast precision (a CPU without
        bf16 units gains nothing from it) and few timed calls. full: ResNet-50 on 64 x 3 x 224 x
        224 images or BERT-base on 64 x 128 tokens, every rung but max-autotune (opt-in: it
        compiles for minutes). The device is left open: CUDA when available, else the CPU.
        """
        profile = profiles.check(profile)
        if family not in FAMILIES:
            raise UsageError(f"unknown model family {family!r}; choose from {', '.join(FAMILIES)}")
        settings: dict[str, Any] = {"model": PROFILE_MODELS[profile][family]}
        if profile == profiles.SMOKE:
            settings |= {"batch": 4, "resolution": 32, "seq_len": 16, "rungs": SMOKE_RUNGS}
            settings |= {"fast_precision": "fp32", "warmup": 2, "repeats": 20, "rung_budget_s": 1.0}
        else:
            settings |= {"batch": 64, "resolution": 224, "seq_len": 128, "fast_precision": "bf16"}
            settings["rungs"] = tuple(r for r in RUNG_ORDER if r != "max-autotune")
            settings |= {"warmup": 10, "repeats": 100, "rung_budget_s": 5.0}
        return cls(**{**settings, **overrides})

    @classmethod
    def bench_for_profile(cls, profile: str, family: str = "cnn", **overrides: Any) -> LadderConfig:
        """`gpulab bench inference`'s ladder: `for_profile`'s sizes, with two differences.

        smoke pins the device to the CPU: the smoke bench is the same CPU run on every host,
        as the profile promises, and its ONNX Runtime rung is the CPU provider's. full also
        lists max-autotune: it runs when `allow_max_autotune` is given (the bench's opt-in
        environment variable), else the report carries it as skipped, with the reason.
        """
        if profiles.check(profile) == profiles.SMOKE:
            return cls.for_profile(profile, family, **{"device": "cpu", **overrides})
        return cls.for_profile(profile, family, **{"rungs": RUNG_ORDER, **overrides})

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

    @property
    def compile_backend_name(self) -> str:
        """The torch.compile backend by name (a custom backend function by its own name)."""
        backend = self.compile_backend
        return backend if isinstance(backend, str) else getattr(backend, "__name__", "custom")

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values, for the bench report."""
        data = asdict(self)
        data["rungs"] = list(self.rungs)
        data["compile_backend"] = self.compile_backend_name
        return data
