"""What the server child serves: a plain, JSON-able spec shared by both environments.

Kept free of gpulab's toolkit so the server venv (numpy 1.26) imports it alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

NOBATCH_SUFFIX = "_nobatch"  # the same model bound without the dynamic batcher


@dataclass(frozen=True)
class ServerSpec:
    """Models, their size and precision, the batcher's limits and the three ports."""

    models: tuple[str, ...]
    tiny: bool
    device: str
    dtype: str
    max_batch_size: int
    max_queue_delay_us: int
    instances: int
    http_port: int
    grpc_port: int
    metrics_port: int
    seed: int = 0
    cuda_graphs: bool = True  # on a GPU: each batch size's forward replayed from a CUDA graph

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerSpec:
        return cls(**{**data, "models": tuple(data["models"])})
