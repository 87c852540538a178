"""What one distributed-training run does: strategies, world sizes, the model and the batch.

`TrainConfig.for_profile` gives the notebook's settings and `bench_for_profile` the benchmark's.
Every strategy trains the same model from the same seed on the same global batch, so their loss
curves must agree (`loss_tolerance`). Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

SINGLE, DDP, FSDP2 = "single", "ddp", "fsdp2"
STRATEGIES = (SINGLE, DDP, FSDP2)
LABELS = {SINGLE: "single device", DDP: "DDP", FSDP2: "FSDP2 (fully_shard)"}
PRECISIONS = ("fp32", "bf16")
# Largest relative loss difference from the single-device run that still counts as agreement:
# fp32 differs only by reduction order; bf16 rounds activations (and FSDP2's parameters).
LOSS_TOLERANCE = {"fp32": 1e-4, "bf16": 3e-2}
CPU_MAX_WORLD = 4  # gloo processes on the CPU: more only oversubscribe a small machine


@dataclass(frozen=True)
class TrainConfig:
    """A GPT-style byte-level language model trained for `steps` steps per strategy."""

    strategies: tuple[str, ...] = STRATEGIES
    world_sizes: tuple[int, ...] = (1,)
    global_batch: int = 8  # sequences per optimiser step, across all ranks
    accumulation: int = 1  # micro-batches per step (DDP skips the all-reduce with no_sync)
    steps: int = 8
    warmup_steps: int = 2  # not timed (first-call costs, compile)
    seq_len: int = 64
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    lr: float = 3e-3
    seed: int = 0
    precision: str = "fp32"
    bucket_mb: float = 25.0  # DDP's bucket_cap_mb
    gradient_as_bucket_view: bool = True
    compile: bool = False
    device: str = "auto"  # "auto": CUDA (nccl) where torch sees a GPU, else CPU (gloo)
    probe_mb: float = 0.0  # all-reduce probe size; 0: the model's gradient size
    timeout_s: float = 600.0  # per launch; the process group is killed past it
    crash_rank: int = -1  # a rank that raises at `crash_step` (the error-path demonstration)
    crash_step: int = 1

    @property
    def loss_tolerance(self) -> float:
        return LOSS_TOLERANCE[self.precision]

    def validate(self) -> TrainConfig:
        """Raise a one-line UsageError for settings that cannot run; returns self."""
        unknown = [s for s in self.strategies if s not in STRATEGIES]
        if unknown or not self.strategies:
            raise UsageError(f"choose strategies from {list(STRATEGIES)}, got {list(unknown)}")
        if not self.world_sizes or min(self.world_sizes) < 1:
            raise UsageError(f"world sizes must be >= 1, got {list(self.world_sizes)}")
        if self.precision not in PRECISIONS:
            raise UsageError(f"precision must be one of {list(PRECISIONS)}")
        if self.d_model % self.n_heads:
            raise UsageError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        positive = {
            "global_batch": self.global_batch,
            "accumulation": self.accumulation,
            "steps": self.steps,
            "seq_len": self.seq_len,
            "n_layers": self.n_layers,
        }
        for name, value in positive.items():
            if value < 1:
                raise UsageError(f"{name} must be >= 1, got {value}")
        if self.warmup_steps < 0 or self.warmup_steps >= self.steps:
            raise UsageError(f"warmup_steps must lie in [0, steps), got {self.warmup_steps}")
        if self.bucket_mb <= 0 or self.lr <= 0:
            raise UsageError("bucket_mb and lr must be positive")
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        data["strategies"] = tuple(data["strategies"])
        data["world_sizes"] = tuple(data["world_sizes"])
        return cls(**data)

    @classmethod
    def for_profile(cls, profile: str) -> TrainConfig:
        """smoke: a 2-layer, 64-wide model, 8 steps, world sizes 1 and 2 on the CPU (gloo);
        full: a 12-layer, 768-wide GPT (GPT-2 small's blocks, ~85 M parameters), 1024 tokens,
        global batch 32, bf16, 30 steps, at every world size the GPUs allow."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(world_sizes=(1, 2))
        return cls(
            world_sizes=(1,),
            global_batch=32,
            steps=30,
            warmup_steps=5,
            seq_len=1024,
            d_model=768,
            n_layers=12,
            n_heads=12,
            lr=6e-4,
            precision="bf16",
        )

    @classmethod
    def bench_for_profile(cls, profile: str) -> TrainConfig:
        """The benchmark: DDP and FSDP2 beside the single-device run at every world size (the
        caller fills `world_sizes` from the devices present); the notebook's sizes otherwise."""
        return replace(cls.for_profile(profile), strategies=STRATEGIES)


@dataclass(frozen=True)
class BatchPlan:
    """The global batch as split over `world` ranks, and what was adjusted to make it split."""

    world: int
    global_batch: int
    per_rank: int
    micro_batch: int
    note: str = ""


def plan_batch(global_batch: int, world: int, accumulation: int = 1) -> BatchPlan:
    """Split the global batch evenly: each rank gets global/world sequences in `accumulation`
    micro-batches. A global batch that does not split is rounded down (up where that would be
    zero) to the nearest multiple of world x accumulation, and `note` says so."""
    unit = world * accumulation
    adjusted = max(unit, (global_batch // unit) * unit)
    note = ""
    if adjusted != global_batch:
        note = (
            f"global batch {global_batch} does not split over {world} rank(s) x {accumulation} "
            f"micro-batch(es): using {adjusted}"
        )
    per_rank = adjusted // world
    return BatchPlan(world, adjusted, per_rank, per_rank // accumulation, note)
