"""What the training loop reports while it runs: its clock and its loss log.

GPU work is asynchronous, so every reading of the clock synchronizes first, and losses stay in a
device tensor that is read back once per `log_every` steps (never an `.item()` per step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpulab.timing import synchronize

if TYPE_CHECKING:
    import torch


@dataclass
class TrainProgress:
    """What the callback sees every `log_every` steps (one host sync per call)."""

    step: int  # steps done
    steps: int
    new_losses: list[tuple[int, float]]  # (step, loss) for each step since the last call
    learning_rate: float
    tokens_per_s: float
    elapsed_s: float


class StepClock:
    """Wall time of the whole loop, of step 0 alone, and of the steps from `measure_from` on.

    Step 0 pays for compiling (if any), CUDA context and cuBLAS warm-up; the first `measure_from`
    steps are left out of the throughput for the same reason.
    """

    def __init__(self, device: Any, measure_from: int) -> None:
        self.device = device
        self.measure_from = measure_from
        synchronize(device)
        self.started = self.measure_start = self.finished = time.perf_counter()
        self.first_step_seconds = 0.0

    def step_starts(self, step: int) -> None:
        if step == self.measure_from:
            synchronize(self.device)
            self.measure_start = time.perf_counter()

    def step_ends(self, step: int) -> None:
        if step == 0:
            synchronize(self.device)
            self.first_step_seconds = time.perf_counter() - self.started

    def elapsed(self) -> float:
        """Seconds since the loop started, as far as the host knows (no sync)."""
        return time.perf_counter() - self.started

    def stop(self) -> None:
        synchronize(self.device)
        self.finished = time.perf_counter()

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def measured_seconds(self) -> float:
        return self.finished - self.measure_start


class LossLog:
    """Per-step losses and token counts on the device, read back every `log_every` steps.

    Without a callback nothing is read until the end: the loop never waits for the GPU.
    """

    def __init__(
        self,
        losses: torch.Tensor,
        tokens: torch.Tensor,
        log_every: int,
        on_log: Callable[[TrainProgress], None] | None,
    ) -> None:
        self.losses = losses
        self.tokens = tokens
        self.log_every = log_every
        self.on_log = on_log
        self.history: list[tuple[int, float]] = []
        self.logged = 0  # steps whose losses are in `history`

    def step_done(self, step: int, learning_rate: float, clock: StepClock) -> None:
        steps = len(self.losses)
        if self.on_log is None or not ((step + 1) % self.log_every == 0 or step + 1 == steps):
            return
        new = self._read(step + 1)  # syncs: the elapsed time below includes the GPU's work
        elapsed = clock.elapsed()
        done_tokens = int(self.tokens[: step + 1].sum())
        self.on_log(
            TrainProgress(
                step=step + 1,
                steps=steps,
                new_losses=new,
                learning_rate=learning_rate,
                tokens_per_s=done_tokens / elapsed if elapsed > 0 else 0.0,
                elapsed_s=elapsed,
            )
        )

    def finish(self) -> list[tuple[int, float]]:
        """(step, loss) for every step, the ones not logged yet read now."""
        if self.logged < len(self.losses):
            self._read(len(self.losses))
        return self.history

    def _read(self, upto: int) -> list[tuple[int, float]]:
        new = [
            (self.logged + i + 1, v) for i, v in enumerate(self.losses[self.logged : upto].tolist())
        ]
        self.history.extend(new)
        self.logged = upto
        return new
