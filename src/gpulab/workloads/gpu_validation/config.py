"""The workload's settings: what the measurements time (`ValidationConfig`) and what the stress
test loads (`StressConfig`). Both check themselves on construction, so a notebook's bad input
fails here, as a `ValueError` naming the setting, before any GPU work starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Measured in this order: the headline format first, on a GPU no earlier measurement has heated.
DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
STRESS_DTYPES = ("bf16", "fp16", "fp32")  # formats the stress worker multiplies and checks
# The matrix sizes a notebook offers under each profile (its defaults come from `for_profile`).
SIZE_CHOICES = {
    "smoke": (64, 128, 256),
    "full": (1024, 2048, 4096, 8192, 12288, 16384),
}
NO_DTYPES = "no number format is selected: choose at least one under Formats"
NO_SIZES = "no matrix size is selected: choose at least one under Matrix sizes"


def selection_problems(dtypes: Sequence[str], sizes: Sequence[object]) -> list[str]:
    """What is missing from a notebook's choice of formats and sizes ([] when it can run)."""
    return [problem for problem, empty in ((NO_DTYPES, not dtypes), (NO_SIZES, not sizes)) if empty]


@dataclass(frozen=True)
class ValidationConfig:
    """What to measure and for how long; `for_profile` gives the smoke and full settings.

    The benchmark (`gpulab bench gpu`) runs exactly these sizes, so there is no separate bench
    mapping.
    """

    dtypes: tuple[str, ...] = DTYPES
    sizes: tuple[int, ...] = (2048, 4096, 8192, 12288, 16384)
    copy_mib: int = 2048  # device buffer copied device -> device
    transfer_mib: int = 512  # host buffer sent over PCIe each way
    cpu_size: int = 2048  # the CPU peer's matmul size
    warmup_s: float = 0.15  # discarded calls: kernel selection, clocks ramping up
    measure_s: float = 0.3  # timed calls per measurement, in seconds of work
    min_repeats: int = 10
    max_repeats: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.dtypes:
            raise ValueError(NO_DTYPES)
        if not self.sizes:
            raise ValueError(NO_SIZES)
        unknown = [d for d in self.dtypes if d not in DTYPES]
        if unknown:
            raise ValueError(f"unknown dtype(s) {unknown}; choose from {', '.join(DTYPES)}")
        if min(self.sizes) < 1:
            raise ValueError(f"matmul sizes must be positive, got {self.sizes}")
        if self.copy_mib < 1 or self.transfer_mib < 1 or self.cpu_size < 1:
            raise ValueError("buffer sizes and the CPU matmul size must be positive")
        if self.min_repeats < 1 or self.max_repeats < self.min_repeats:
            raise ValueError("need 1 <= min_repeats <= max_repeats")

    @classmethod
    def for_profile(cls, profile: str) -> ValidationConfig:
        """'smoke': tiny sizes that finish in seconds on a CPU; 'full': sizes for a data-centre GPU."""
        if profile == "smoke":
            return cls(
                sizes=(64, 128),
                copy_mib=8,
                transfer_mib=8,
                cpu_size=128,
                warmup_s=0.02,
                measure_s=0.05,
                min_repeats=3,
            )
        if profile == "full":
            return cls()
        raise ValueError(f"unknown profile {profile!r}")

    @staticmethod
    def size_choices(profile: str) -> tuple[int, ...]:
        """The matrix sizes a notebook offers under `profile` (its defaults among them)."""
        if profile not in SIZE_CHOICES:
            raise ValueError(f"unknown profile {profile!r}")
        return SIZE_CHOICES[profile]


@dataclass(frozen=True)
class BurstConfig:
    """Burst and sustained matmuls (`burst.py`): one size, the formats, how long each window is."""

    dtypes: tuple[str, ...] = ("bf16", "fp16", "fp8", "tf32", "fp32")
    size: int = 8192
    warmup_products: int = 5  # cuBLAS picks its kernel, the clocks ramp up
    rest_s: float = 2.0  # idle before the burst, so the board's power average falls back
    # products queued right before the burst's first timed one (no host sync between): the rest
    # lets the SM clock fall to idle, and its climb back belongs to them, not to the burst
    lead_in_products: int = 10
    burst_products: int = 10
    sustained_s: float = 5.0
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [d for d in self.dtypes if d not in DTYPES]
        if not self.dtypes or unknown:
            raise ValueError(f"choose burst formats from {', '.join(DTYPES)}, got {self.dtypes}")
        if self.size < 1 or self.warmup_products < 1 or self.burst_products < 1:
            raise ValueError("size, warmup_products and burst_products must be at least 1")
        if self.lead_in_products < 0:
            raise ValueError("lead_in_products must be >= 0")
        if self.rest_s < 0 or self.sustained_s <= 0:
            raise ValueError("rest_s must be >= 0 and sustained_s > 0")

    @classmethod
    def for_profile(cls, profile: str) -> BurstConfig:
        """'smoke': a 128³ fp32/bf16 pair for a CPU; 'full': every format at 8192³, 5 s held."""
        if profile == "smoke":
            return cls(
                dtypes=("fp32", "bf16"),
                size=128,
                warmup_products=2,
                rest_s=0.0,
                lead_in_products=1,
                sustained_s=0.2,
            )
        if profile == "full":
            return cls()
        raise ValueError(f"unknown profile {profile!r}")


@dataclass(frozen=True)
class StressConfig:
    """What to load and for how long. `gpus` are NVML indices; empty means a CPU load."""

    gpus: tuple[int, ...] = ()
    duration_s: float = 60.0
    dtype: str = "bf16"
    size: int = 8192
    interval_s: float = 1.0
    check_every: int = 32
    cpu_threads: int = 1
    inject_error_at_check: int = 0  # self-test of the checker: corrupt one product

    def __post_init__(self) -> None:
        if self.dtype not in STRESS_DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(STRESS_DTYPES)}, got {self.dtype!r}")
        if self.duration_s <= 0 or self.interval_s <= 0:
            raise ValueError("duration_s and interval_s must be positive")
        if self.size < 1 or self.check_every < 1 or self.cpu_threads < 1:
            raise ValueError("size, check_every and cpu_threads must be at least 1")

    @classmethod
    def for_machine(
        cls, gpus: Sequence[int], duration_s: float, cuda_available: bool, **overrides: Any
    ) -> StressConfig:
        """bf16 8192³ products on the chosen GPUs, or a small fp32 CPU load without CUDA."""
        if not cuda_available:
            return cls(
                gpus=(), duration_s=duration_s, **{"dtype": "fp32", "size": 256, **overrides}
            )
        if not gpus:
            raise ValueError("choose at least one GPU to stress")
        return cls(gpus=tuple(gpus), duration_s=duration_s, **overrides)

    @property
    def on_cpu(self) -> bool:
        return not self.gpus

    @property
    def flops_per_product(self) -> float:
        return 2.0 * self.size**3
