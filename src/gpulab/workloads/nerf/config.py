"""What a NeRF run trains and measures: the scene, both models' sizes and their time budgets.

`NerfConfig.for_profile` gives the notebook's settings, `bench_for_profile` the benchmark's (a
300 s vanilla budget on the GPU). Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

PROCEDURAL = "procedural"
ENCODINGS = ("auto", "triton", "index_add", "reference")  # hashgrid.BACKENDS, without torch


@dataclass(frozen=True)
class NerfConfig:
    """Scene, model and training settings shared by ours (hash grid) and vanilla NeRF."""

    scene: str = PROCEDURAL  # or a folder in the NeRF-synthetic (Blender) layout
    image_size: int = 400  # procedural views are square; a Blender folder keeps its own size
    n_train: int = 100
    n_test: int = 20
    supersample: int = 2  # ground-truth pixels average supersample^2 rays (anti-aliasing)
    bound: float = 1.0  # the scene lies in [-bound, bound]^3 (Blender scenes: 1.5)
    # ours: Müller et al. 2022
    levels: int = 16
    features: int = 2
    log2_table: int = 19
    base_resolution: int = 16
    max_resolution: int = 2048
    # the hash encoding's implementation: "auto" (fused Triton kernels on a CUDA GPU where triton
    # imports, else "index_add"), "triton", "index_add" (PyTorch, atomic backward), "reference"
    encoding: str = "auto"
    samples: int = 128  # uniform samples per ray before occupancy skipping
    # a fixed (calibrated) number of samples evaluated per step: no host sync in a step
    static_samples: bool = False
    # on a CUDA GPU, ours' step is captured as a CUDA graph and replayed (implies static_samples)
    cuda_graph: bool = True
    occupancy_resolution: int = 128
    batch_rays: int = 4096  # rays per step, the same for both models by default
    lr: float = 1e-2
    lr_decay_steps: int = 20_000  # exponential decay to lr_final_ratio x lr here (0: none)
    lr_final_ratio: float = 0.1
    ours_seconds: float = 30.0
    ours_max_steps: int = 100_000
    # vanilla: Mildenhall et al. 2020
    vanilla_width: int = 256
    vanilla_depth: int = 8
    coarse_samples: int = 64
    fine_samples: int = 128
    vanilla_batch_rays: int = 4096
    vanilla_lr: float = 5e-4
    vanilla_seconds: float = 30.0
    vanilla_max_steps: int = 1_000_000
    # evaluation: the curve's held-out PSNR on a fixed pixel subset, the final one on every pixel
    eval_every_s: float = 2.0
    eval_pixels: int = 65_536
    stop_at_psnr: float | None = None  # ours stops early once it reaches this (the bench)
    ours_min_seconds: float = 0.0  # ...but not before this much training (PSNR at 60 s measured)
    # The benchmark: vanilla trains first, then ours until it also reaches vanilla's best point.
    ours_chases_vanilla: bool = False
    orbit_frames: int = 8
    orbit_size: int = 200
    device: str | None = None  # None: the first CUDA GPU, else the CPU
    seed: int = 0

    @property
    def procedural(self) -> bool:
        return self.scene == PROCEDURAL

    def validate(self) -> NerfConfig:
        """Raise a one-line UsageError for settings that cannot train; returns self."""
        if self.n_train < 1:
            raise UsageError("zero training views: choose at least 1 (about 100 is typical)")
        if self.n_test < 1:
            raise UsageError("choose at least 1 held-out view: PSNR is measured on them")
        positive = {
            "image_size": self.image_size,
            "batch_rays": self.batch_rays,
            "vanilla_batch_rays": self.vanilla_batch_rays,
            "samples": self.samples,
            "coarse_samples": self.coarse_samples,
            "levels": self.levels,
            "features": self.features,
            "supersample": self.supersample,
            "orbit_frames": self.orbit_frames,
        }
        bad = [f"{k}={v}" for k, v in positive.items() if v < 1]
        if bad:
            raise UsageError(f"these settings must be at least 1: {', '.join(bad)}")
        if self.image_size < 8:
            raise UsageError(f"image_size {self.image_size} is too small: use 8 or more")
        if not 8 <= self.log2_table <= 24:
            raise UsageError(f"log2_table {self.log2_table} is outside 8..24 (the paper: 19)")
        if self.encoding not in ENCODINGS:
            raise UsageError(f"encoding {self.encoding!r}: choose one of {', '.join(ENCODINGS)}")
        if self.ours_seconds <= 0 or self.vanilla_seconds <= 0:
            raise UsageError("both time budgets must be positive seconds")
        if self.lr_decay_steps < 0 or not 0 < self.lr_final_ratio <= 1:
            raise UsageError("lr_decay_steps must be >= 0 and lr_final_ratio in (0, 1]")
        if self.base_resolution < 2 or self.max_resolution < self.base_resolution:
            raise UsageError("need 2 <= base_resolution <= max_resolution")
        return self

    @classmethod
    def for_profile(cls, profile: str) -> NerfConfig:
        """smoke: 32² views, a small hash grid, a few hundred CPU steps; full: the paper's grid
        on 400² views, 30 s per model (the benchmark runs vanilla for 300 s)."""
        if profiles.check(profile) == profiles.SMOKE:
            # the scene, ours, vanilla and the evaluation each shrink, as the fields group them
            scene = cls(image_size=32, n_train=12, n_test=3, supersample=1)
            ours = replace(
                scene,
                levels=8,
                log2_table=14,
                max_resolution=128,
                samples=32,
                occupancy_resolution=32,
                batch_rays=256,
                lr=2e-2,
                ours_seconds=6.0,
                ours_max_steps=150,
            )
            vanilla = replace(
                ours,
                vanilla_width=64,
                vanilla_depth=4,
                coarse_samples=16,
                fine_samples=16,
                vanilla_batch_rays=128,
                vanilla_seconds=6.0,
                vanilla_max_steps=60,
            )
            return replace(
                vanilla, eval_every_s=2.0, eval_pixels=768, orbit_frames=4, orbit_size=32
            )
        return cls()

    @classmethod
    def bench_for_profile(cls, profile: str) -> NerfConfig:
        """The benchmark: vanilla for a fixed 300 s, ours until it reaches vanilla's best
        held-out PSNR and 30 dB but at least 60 s (so its PSNR at 60 s is measured), at most
        90 s (smoke: the notebook's smoke sizes, ended by step limits)."""
        base = cls.for_profile(profile)
        if profiles.check(profile) == profiles.SMOKE:
            # step limits end smoke training, so its figures do not depend on the CPU's load
            return replace(
                base,
                ours_seconds=60.0,
                vanilla_seconds=60.0,
                ours_max_steps=100,
                vanilla_max_steps=40,
                stop_at_psnr=30.0,
                ours_chases_vanilla=True,
                orbit_frames=1,
            )
        return cls(
            vanilla_seconds=300.0,
            ours_seconds=90.0,
            ours_min_seconds=60.0,
            eval_every_s=2.0,
            stop_at_psnr=30.0,
            ours_chases_vanilla=True,
            orbit_frames=1,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
