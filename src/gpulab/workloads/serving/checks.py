"""The server's answers against a direct in-process forward pass of the same weights."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from . import models
from .config import ServingConfig


@dataclass(frozen=True)
class CheckRow:
    """One model's check: the largest difference, relative to the reference's scale."""

    model: str
    requests: int
    max_abs_diff: float
    scale: float
    tolerance: float
    empty: bool

    @property
    def passed(self) -> bool:
        return not self.empty and self.max_abs_diff <= self.tolerance * max(self.scale, 1.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"passed": self.passed}


def direct_outputs(config: ServingConfig, name: str) -> Any:
    """The check requests run through the model here, one at a time, as the server's were."""
    import numpy as np

    shape = models.ModelShape(name, tiny=config.tiny)
    model = models.build(shape, config.seed, config.dtype, config.device)
    batch = models.example_inputs(shape, config.check_count, seed=config.seed + 1)
    return np.concatenate([models.forward(model, batch[i : i + 1]) for i in range(len(batch))])


def compare(config: ServingConfig, name: str, served: Any) -> CheckRow:
    """Served vs direct; an empty or misshapen answer fails (PyTriton under numpy 2 returns
    empty outputs without an error)."""
    import numpy as np

    reference = direct_outputs(config, name)
    empty = served.size == 0 or served.shape != reference.shape
    diff = float("inf") if empty else float(np.max(np.abs(served - reference)))
    return CheckRow(
        model=name,
        requests=config.check_count,
        max_abs_diff=diff,
        scale=float(np.max(np.abs(reference))),
        tolerance=config.tolerance,
        empty=bool(empty),
    )
