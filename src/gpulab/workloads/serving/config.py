"""What the serving suite runs: models, precision, the batcher's limits and the load test.

`ServingConfig.for_profile` gives the notebook's settings, `bench_for_profile` the benchmark's.
Nothing here imports torch, numpy or PyTriton.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

from .models import MODEL_NAMES, RESNET

MODES = ("closed", "open")
DTYPES = ("float32", "bfloat16")
# The check's tolerance by precision: bf16 keeps 8 bits of mantissa, and the server's batches
# differ from the check's, so its sums round differently.
TOLERANCE = {"float32": 1e-4, "bfloat16": 5e-2}


@dataclass(frozen=True)
class ServingConfig:
    """One server holding each model twice (dynamic batching on and off) and its load test."""

    models: tuple[str, ...] = (RESNET,)
    tiny: bool = True  # narrow versions of the same architectures, for a CPU
    device: str = "cpu"
    dtype: str = "float32"
    max_batch_size: int = 16
    max_queue_delay_us: int = 2000
    instances: int = 1
    # on a GPU, each batch size's forward is replayed from a CUDA graph (both variants alike)
    cuda_graphs: bool = True
    concurrency: tuple[int, ...] = (1, 4, 8)  # closed loop: requests in flight
    rates: tuple[float, ...] = (20.0,)  # open loop: requests started per second
    requests_per_level: int = 60
    seconds_per_level: float = 2.0
    p99_limit_ms: float = 50.0
    client_processes: int = 1  # load-generating processes, each with its own connection
    port: int = 0  # HTTP port; gRPC and metrics take the next two. 0: free ones
    check_count: int = 8  # requests whose answers are compared with a direct forward pass
    ready_timeout_s: float = 240.0
    seed: int = 0

    def validate(self) -> ServingConfig:
        """A one-line UsageError for settings the suite cannot run; returns self."""
        unknown = [m for m in self.models if m not in MODEL_NAMES]
        if not self.models or unknown:
            raise UsageError(f"choose models from {list(MODEL_NAMES)} (got {list(self.models)})")
        if self.dtype not in DTYPES:
            raise UsageError(f"dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.dtype == "bfloat16" and self.device == "cpu":
            raise UsageError("bf16 serving is for a GPU: use float32 on the CPU")
        if not 1 <= self.max_batch_size <= 1024 or self.max_queue_delay_us < 0:
            raise UsageError("max_batch_size must lie in 1..1024 and max_queue_delay_us >= 0")
        if self.instances not in (1, 2):
            raise UsageError(f"instances must be 1 or 2, got {self.instances}")
        if not self.concurrency or min(self.concurrency) < 1 or max(self.concurrency) > 256:
            raise UsageError("concurrency levels must lie in 1..256 (choose at least one)")
        if any(r <= 0 for r in self.rates):
            raise UsageError("open-loop rates must be positive requests per second")
        if not 1 <= self.client_processes <= 16:
            raise UsageError(f"client_processes must lie in 1..16, got {self.client_processes}")
        if self.requests_per_level < 1 or self.seconds_per_level <= 0:
            raise UsageError("each level needs at least 1 request and a positive time bound")
        if self.port != 0 and not 1024 <= self.port <= 65533:
            raise UsageError(f"port must be 0 (free ones) or lie in 1024..65533, got {self.port}")
        if self.check_count < 1 or self.p99_limit_ms <= 0:
            raise UsageError("check_count must be >= 1 and p99_limit_ms positive")
        return self

    @property
    def tolerance(self) -> float:
        return TOLERANCE[self.dtype]

    def levels(self) -> int:
        """Measured levels per model and variant (the progress bar's unit of work)."""
        return len(self.concurrency) + len(self.rates)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def for_profile(cls, profile: str) -> ServingConfig:
        """smoke: tiny ResNet-50 and MLP on the CPU, three concurrencies, seconds; full:
        ResNet-50, BERT-base and the MLP in bf16 on the GPU, concurrency 1..64 and two rates,
        about a minute of load."""
        if profiles.check(profile) == profiles.SMOKE:
            # tiny models on a shared CPU: a looser p99 limit, so both variants have a knee
            return cls(
                models=(RESNET, "mlp"),
                requests_per_level=30,
                seconds_per_level=1.0,
                p99_limit_ms=250.0,
            )
        return cls(
            models=MODEL_NAMES,
            tiny=False,
            device="cuda",
            dtype="bfloat16",
            max_batch_size=64,
            max_queue_delay_us=1000,
            concurrency=(1, 4, 16, 32, 64),
            rates=(200.0, 1000.0),
            requests_per_level=20_000,
            seconds_per_level=1.0,
            client_processes=4,
        )

    @classmethod
    def bench_for_profile(cls, profile: str) -> ServingConfig:
        """ResNet-50 alone, batching on vs off on one server; full on the GPU, longer levels and
        steps of about 1.5x in concurrency, so the knee under the p99 limit is found closely."""
        base = cls.for_profile(profile)
        if profiles.check(profile) == profiles.SMOKE:
            return replace(base, models=(RESNET,), rates=())
        return replace(
            base,
            models=(RESNET,),
            rates=(),
            concurrency=(1, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64),
            seconds_per_level=2.0,
        )
