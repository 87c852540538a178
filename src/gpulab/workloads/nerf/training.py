"""The timed training loop: random batches of training rays, a held-out PSNR point on the
curve every `eval_every_s` seconds of training (the clock paused while it is measured)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gpulab.timing import synchronize


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio of images in [0, 1]."""
    return -10.0 * math.log10(max(mse, 1e-12))


@dataclass
class Curve:
    """Held-out PSNR against training seconds for one model."""

    model: str
    points: list[dict[str, float]] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    stopped: str = ""

    @property
    def best(self) -> float:
        return max((p["psnr"] for p in self.points), default=float("nan"))

    def time_to(self, target: float) -> float | None:
        """Training seconds of the first point at or above `target` (None: never reached)."""
        return next((p["seconds"] for p in self.points if p["psnr"] >= target), None)

    def time_to_best(self) -> float | None:
        return self.time_to(self.best) if self.points else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "points": self.points,
            "steps": self.steps,
            "seconds": self.seconds,
            "stopped": self.stopped,
            "best_psnr": self.best,
        }


@dataclass
class Budget:
    """When training stops: seconds, steps, or (ours in the benchmark) held-out PSNR targets."""

    seconds: float
    max_steps: int
    eval_every_s: float
    stop_at: tuple[float, ...] = ()
    min_seconds: float = 0.0  # the targets stop training only after this much (the bench: 60 s)


def subset_psnr(method, probe: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> float:  # noqa: ANN001
    origins, dirs, target = probe
    colour, _ = method.render(origins, dirs)
    return psnr(float(torch.mean((colour.clamp(0, 1) - target) ** 2)))


def train(
    method: Any,
    rays: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    probe: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    budget: Budget,
    on_point: Callable[[Curve], None],
    generator: torch.Generator,
) -> Curve:
    """Train `method` on `rays` (training pixels only) until the budget ends."""
    origins, dirs, colours = rays
    curve, trained, next_eval = Curve(method.name), 0.0, budget.eval_every_s
    while True:
        synchronize()
        start = time.perf_counter()
        for _ in range(8 if origins.is_cuda else 1):  # a GPU stays busy between clock reads
            idx = torch.randint(
                0,
                origins.shape[0],
                (method.batch_rays,),
                generator=generator,
                device=generator.device,
            ).to(origins.device)
            method.step(origins[idx], dirs[idx], colours[idx])
            curve.steps += 1
            if curve.steps >= budget.max_steps:
                break
        synchronize()
        trained += time.perf_counter() - start
        over = trained >= budget.seconds or curve.steps >= budget.max_steps
        if trained >= next_eval or over:
            next_eval = trained + budget.eval_every_s
            point = {"seconds": trained, "step": curve.steps, "psnr": subset_psnr(method, probe)}
            curve.points.append(point)
            on_point(curve)
            reached = budget.stop_at and all(curve.best >= s for s in budget.stop_at)
            if reached and trained >= budget.min_seconds:
                curve.stopped = f"reached {max(budget.stop_at):.2f} dB"
                break
        if over:
            curve.stopped = "time budget" if trained >= budget.seconds else "step limit"
            break
    curve.seconds = trained
    return curve
