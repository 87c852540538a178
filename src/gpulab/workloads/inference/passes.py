"""How far a ladder is, counted in forward passes of its batch: the unit every rung shares.

Every rung runs the same model on the same batch, so one forward pass is comparable work from
rung to rung, and a compile rung's steady state is as many passes as an eager one's. A rung plans
`2 + warmup + repeats` passes (its first call, a probe call, warm-up, timed calls) until the probe
call fixes how many it really times (fewer when calls are slow); a skipped or failed rung's
remaining passes leave the total. Compilation, export and graph capture are not passes: the note
names them while they run, so a bar waiting on a compiler says so, and the measured rate (passes
per second so far) takes in the time they took. Pure bookkeeping, no torch.
"""

from __future__ import annotations

from gpulab.progress import ProgressFn, no_progress
from gpulab.workloads.inference.config import LadderConfig
from gpulab.workloads.inference.rungs import Recipe, plan_rungs


def passes_per_rung(config: LadderConfig) -> int:
    """The most forward passes one rung runs: first call, probe call, warm-up, timed calls."""
    return 2 + config.warmup + config.repeats


def planned_passes(config: LadderConfig) -> int:
    """The forward passes a ladder plans before it starts (its progress bar's first total)."""
    return len(plan_rungs(config)) * passes_per_rung(config)


def build_note(recipe: Recipe) -> str:
    """What building a rung does before its first pass (the slow part of compiled rungs)."""
    if recipe.runtime == "onnxruntime":
        return "exporting to ONNX and opening an ONNX Runtime session"
    if recipe.runtime == "tensorrt":
        return "building a TensorRT engine (minutes for a large model)"
    if recipe.cuda_graphs:
        return "capturing the compiled forward as a CUDA graph"
    return "copying the FP32 weights into this rung's format"


def first_call_note(recipe: Recipe) -> str:
    if recipe.compile_mode is not None and not recipe.cuda_graphs:
        return "first call: torch.compile compiles the model here"
    return "first call"


class PassCount:
    """Forward passes done and still planned across a ladder, reported to a `ProgressFn`."""

    def __init__(self, config: LadderConfig, rungs: int, progress: ProgressFn = no_progress):
        self.per_rung = passes_per_rung(config)
        self.progress = progress
        self.done = 0
        self.left_in_rung = 0
        self.rungs_left = rungs
        self.rung = ""

    @property
    def total(self) -> int:
        """Passes done, plus those planned for this rung and the rungs still to come."""
        return self.done + self.left_in_rung + self.rungs_left * self.per_rung

    def start(self, rung: str, note: str) -> None:
        """A rung begins: its planned passes move from 'to come' to 'this rung'."""
        self.rungs_left = max(0, self.rungs_left - 1)
        self.left_in_rung = self.per_rung
        self.rung = rung
        self.report(note)

    def ran(self, passes: int, left: int, note: str) -> None:
        """`passes` more ran; `left` is what this rung still runs (known after its probe call)."""
        self.done += passes
        self.left_in_rung = max(0, left)
        self.report(note)

    def finish(self, note: str) -> None:
        """The rung is over (measured, skipped or failed): it runs no more passes."""
        self.left_in_rung = 0
        self.report(note)

    def report(self, note: str) -> None:
        total = self.total
        self.progress(self.done, max(total, 1), f"{self.rung}: {note}" if self.rung else note)
