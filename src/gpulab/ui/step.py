"""One guarded GPU step for notebook cells: the cell shows the work, this shows the failure.

    with gpu_step("training the adapter"):
        result = lora.train(bundle, config)

An out-of-memory error becomes the OOM callout with the failed step's memory released (a rerun
works); a missing optional library becomes its install hint; bad input (`UsageError`,
`ValueError`) and any other error become an error callout naming the step. In every case the cell
stops there (`mo.stop`), so cells that depend on its results wait instead of failing in turn.
marimo's own stop and interrupt pass through untouched.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.memory import DEFAULT_SUGGESTIONS, GpuOutOfMemory, oom_guard, release_memory

# Exceptions that are control flow (a cell stopped or interrupted), never failures to report.
_PASS_THROUGH = ("MarimoStopError", "MarimoInterrupt", "KeyboardInterrupt", "SystemExit")


def failure_callout(what: str, err: BaseException) -> Any:
    """The callout for a failed step: OOM, missing library, bad input or an unexpected error."""
    from gpulab.ui.callouts import error_callout, missing_dependency_callout, oom_callout

    if isinstance(err, GpuOutOfMemory):
        return oom_callout(err)
    if isinstance(err, MissingDependencyError):
        return missing_dependency_callout(err)
    if isinstance(err, UsageError | ValueError):
        return error_callout(f"Cannot run {what}: invalid settings", err)
    return error_callout(f"{what[:1].upper()}{what[1:]} failed", err)


class gpu_step:  # noqa: N801 - used like a function: `with gpu_step("training"): ...`
    """Run the block; on failure release GPU memory, show a callout and stop the cell.

    `suggestions` replace the OOM callout's generic tips. `results_kept=True` says in the callout
    that the results shown below are still those of the last run that finished: the notebook keeps
    them in `mo.state`, set only after a step succeeds, so a failed run never wipes them.
    `failed` holds the (structured) error after a failure.
    """

    def __init__(
        self,
        what: str,
        suggestions: Sequence[str] = DEFAULT_SUGGESTIONS,
        device: Any = None,
        results_kept: bool = False,
    ) -> None:
        self.what = what
        self.results_kept = results_kept
        self.failed: BaseException | None = None
        self._oom = oom_guard(suggestions, device)

    def __enter__(self) -> gpu_step:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> bool:
        if exc is None or type(exc).__name__ in _PASS_THROUGH:
            return False
        try:
            self._oom.__exit__(exc_type, exc, tb)  # raises GpuOutOfMemory for an OOM
        except GpuOutOfMemory as oom:
            self.failed = oom
        else:
            traceback.clear_frames(tb)  # the failed step's tensors must not outlive it
            release_memory()
            self.failed = exc
        import marimo as mo

        callout = failure_callout(self.what, self.failed)
        if self.results_kept:
            note = mo.md("_The results below are still those of the last run that finished._")
            callout = mo.vstack([callout, note])
        mo.stop(True, callout)
        return False  # not reached: mo.stop raises
