"""What the training loop reports while it runs: its clock, its loss log and its timed windows.

GPU work is asynchronous, so every reading of the clock synchronizes first, and losses stay in a
device tensor that is read back once per `log_every` steps (never an `.item()` per step). Each
read also closes a timed *window* of `log_every` steps: the windows after warm-up are the repeats
that give a throughput its spread (`window_timing`). Progress is reported in trained tokens
(`gpulab.progress.ProgressFn`), and `PlannedProgress` maps several phases of different cost
(scoring, training, the Trainer run) onto one bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gpulab.progress import ProgressFn, no_progress
from gpulab.timing import Timing, synchronize

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


@dataclass(frozen=True)
class Window:
    """One timed stretch of the loop: `steps` steps from step index `first_step` on."""

    first_step: int
    steps: int
    tokens: int  # trained tokens in the window
    seconds: float


def steady_windows(windows: list[Window], measure_from: int) -> list[Window]:
    """The windows that start after warm-up (else all but the first, which holds step 0)."""
    steady = [w for w in windows if w.first_step >= measure_from]
    return steady or windows[1:] or windows


def window_timing(windows: list[Window], measure_from: int) -> Timing | None:
    """Seconds per step in each steady window, as a `Timing` (work: trained tokens per step)."""
    steady = [w for w in steady_windows(windows, measure_from) if w.steps > 0 and w.seconds > 0]
    if not steady:
        return None
    tokens_per_step = sum(w.tokens for w in steady) / sum(w.steps for w in steady)
    return Timing(
        samples_s=[w.seconds / w.steps for w in steady],
        method="perf_counter, synchronised at each window's end",
        warmup=measure_from,
        work_per_call=tokens_per_step,
        unit="tokens",
    )


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

    Each read synchronises once, closes a timed window and reports trained tokens to `progress`
    (of `total_tokens`, known before the loop from the rows it will train).
    """

    def __init__(
        self,
        losses: torch.Tensor,
        tokens: torch.Tensor,
        log_every: int,
        on_log: Callable[[TrainProgress], None] | None,
        progress: ProgressFn = no_progress,
        total_tokens: int = 0,
    ) -> None:
        self.losses = losses
        self.tokens = tokens
        self.log_every = log_every
        self.on_log = on_log
        self.progress = progress
        self.total_tokens = max(1, total_tokens)
        self.history: list[tuple[int, float]] = []
        self.windows: list[Window] = []
        self.logged = 0  # steps whose losses are in `history`
        self._window_start = (0, 0, 0.0)  # (step, tokens done, clock) when the window opened

    def step_done(self, step: int, learning_rate: float, clock: StepClock) -> None:
        steps = len(self.losses)
        if not ((step + 1) % self.log_every == 0 or step + 1 == steps):
            return
        new = self._read(step + 1)  # syncs: the elapsed time below includes the GPU's work
        elapsed = clock.elapsed()
        done_tokens = int(self.tokens[: step + 1].sum())
        first, tokens_before, opened = self._window_start
        self.windows.append(
            Window(first, step + 1 - first, done_tokens - tokens_before, elapsed - opened)
        )
        self._window_start = (step + 1, done_tokens, elapsed)
        note = f"step {step + 1}/{steps} · training loss {new[-1][1]:.3f}"
        self.progress(done_tokens, self.total_tokens, note)
        if self.on_log is not None:
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


class PlannedProgress:
    """One progress bar over phases of planned cost: each phase reports its own (done, total).

        plan = PlannedProgress(bar, {"scoring": 13_000, "training": 3 * 96_000})
        evaluate(..., progress=plan.phase("scoring"))

    A phase's share of the bar is its planned cost (in units of comparable cost, e.g. token
    positions times passes); within a phase, progress is the fraction it reports. The bar's ETA
    comes from the rate measured over all phases so far.
    """

    def __init__(self, progress: ProgressFn, costs: Mapping[str, float]) -> None:
        self.progress = progress
        self.costs = {name: max(0.0, float(cost)) for name, cost in costs.items()}
        self.total = sum(self.costs.values()) or 1.0
        names = list(self.costs)
        self._offsets = {n: sum(self.costs[m] for m in names[: names.index(n)]) for n in names}

    def phase(self, name: str, label: str = "") -> ProgressFn:
        """The ProgressFn of phase `name`; its notes are prefixed with `label` (default: name)."""
        offset, cost, prefix = self._offsets[name], self.costs[name], label or name

        def report(done: float, total: float, note: str = "") -> None:
            share = min(1.0, done / total) if total > 0 else 1.0
            text = f"{prefix}: {note}" if note else prefix
            self.progress(offset + cost * share, self.total, text)

        return report

    def start(self, name: str, label: str = "") -> None:
        """Say that phase `name` began (before its first report)."""
        self.phase(name, label)(0, 1, "starting")

    def finish(self, name: str, label: str = "") -> None:
        """Mark phase `name` done (for work that reports nothing on its own)."""
        self.phase(name, label)(1, 1, "done")
