"""What a text-to-image run does: the model, the prompt and sampler settings, and the ladder.

`DiffusionConfig.for_profile` gives the notebook's settings, `bench_for_profile` the benchmark's.
Nothing here imports torch or diffusers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

from .architecture import ARCHITECTURES, SD15, TINY
from .rungs import DEFAULT_RUNGS, RUNG_NAMES

# Schedulers offered (name -> diffusers class); "pndm" is SD 1.5's own default.
SCHEDULERS = {
    "pndm": "PNDMScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "euler": "EulerDiscreteScheduler",
    "ddim": "DDIMScheduler",
}
SCHEDULER_LABELS = {
    "pndm": "PNDM (SD 1.5's default)",
    "dpm++": "DPM-Solver++ (2M)",
    "euler": "Euler",
    "ddim": "DDIM",
}
LATENT_FACTOR = 8  # the VAE halves the side three times: an image side must be a multiple of 8
MAX_STEPS = 200
MAX_SIDE = 2048
PROMPT = "a photo of an astronaut riding a horse on mars, highly detailed"
NEGATIVE = "blurry, low quality"


@dataclass(frozen=True)
class DiffusionConfig:
    """One generation (prompt, sampler, size, seed, batch) and the ladder's rungs and repeats.

    `model` is "sd15" or "tiny" (the architecture from configs, random weights) or a hub id or
    local folder of a diffusers pipeline (real weights). `fast_steps` is the lossy rung's step
    count with DPM-Solver++.
    """

    model: str = SD15
    prompt: str = PROMPT
    negative_prompt: str = NEGATIVE
    steps: int = 50
    guidance: float = 7.5
    height: int = 512
    width: int = 512
    seed: int = 0
    batch: int = 1
    scheduler: str = "pndm"
    rungs: tuple[str, ...] = DEFAULT_RUNGS
    max_autotune: bool = False
    fast_steps: int = 20
    warmup: int = 1
    repeats: int = 3
    throughput_batch: int = 0  # > batch: images/s at this batch too (eager rungs)
    device: str | None = None  # None: the first CUDA GPU, else the CPU
    # CPU threads for torch during a run (None: torch's default). The tiny pipeline's kernels
    # are too small to split, and on a busy CPU extra threads spin-wait on each other.
    cpu_threads: int | None = None

    @property
    def random_weights(self) -> bool:
        return self.model in ARCHITECTURES

    def validate(self) -> DiffusionConfig:
        """Raise a one-line UsageError for settings the pipeline cannot run; returns self."""
        if not self.model.strip():
            raise UsageError("name a model: 'sd15' (random weights), a hub id or a local folder")
        for side, value in (("height", self.height), ("width", self.width)):
            if value % LATENT_FACTOR or not LATENT_FACTOR <= value <= MAX_SIDE:
                raise UsageError(
                    f"{side} {value} must be a multiple of {LATENT_FACTOR} between "
                    f"{LATENT_FACTOR} and {MAX_SIDE} (the VAE works on 1/8-size latents); "
                    f"try {max(LATENT_FACTOR, int(value / LATENT_FACTOR + 0.5) * LATENT_FACTOR)}"
                )
        if not 1 <= self.steps <= MAX_STEPS:
            raise UsageError(f"steps must be between 1 and {MAX_STEPS}, got {self.steps}")
        if not 1 <= self.fast_steps <= MAX_STEPS:
            raise UsageError(f"fast_steps must be between 1 and {MAX_STEPS}")
        if self.batch < 1 or self.throughput_batch < 0:
            raise UsageError(f"batch must be at least 1, got {self.batch}")
        if not 0 <= self.guidance <= 30:
            raise UsageError(f"guidance must lie in [0, 30], got {self.guidance}")
        if self.scheduler not in SCHEDULERS:
            raise UsageError(
                f"unknown scheduler {self.scheduler!r}; choose from {list(SCHEDULERS)}"
            )
        unknown = [r for r in self.rungs if r not in RUNG_NAMES]
        if unknown:
            raise UsageError(f"unknown rung(s) {unknown}; choose from {list(RUNG_NAMES)}")
        if self.rungs and self.rungs[0] != "default":
            raise UsageError("the ladder starts at 'default': every rung is compared with it")
        if self.warmup < 0 or self.repeats < 1:
            raise UsageError("need warmup >= 0 and at least 1 timed repeat")
        if self.cpu_threads is not None and self.cpu_threads < 1:
            raise UsageError(f"cpu_threads must be at least 1, got {self.cpu_threads}")
        if self.seed < 0:
            raise UsageError(f"seed must be >= 0, got {self.seed}")
        return self

    @classmethod
    def for_profile(cls, profile: str) -> DiffusionConfig:
        """smoke: the tiny pipeline at 64 x 64, 4 steps, batch 2 (seconds on a CPU); full: SD 1.5's
        architecture at 512 x 512, 25 steps, batch 1 (the benchmark's shapes, so the compiled
        graphs come from the compile cache), the whole ladder (compile on CUDA)."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(
                model=TINY, steps=4, height=64, width=64, batch=2, fast_steps=2, repeats=2,
                cpu_threads=1,
            )  # fmt: skip
        return cls(steps=25, repeats=2, fast_steps=10)

    @classmethod
    def bench_for_profile(cls, profile: str) -> DiffusionConfig:
        """The benchmark: SD 1.5's architecture, 512 x 512, 50 steps, batch 1 (images/s at batch 8
        apart); smoke runs the tiny pipeline at 64 x 64, 4 steps, on the CPU."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(
                model=TINY, steps=4, height=64, width=64, fast_steps=2, repeats=3,
                throughput_batch=2, device="cpu", cpu_threads=1,
            )  # fmt: skip
        return cls(device="cuda", repeats=3, throughput_batch=8)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
