"""A marimo progress bar driven by `gpulab.progress`: work units in, measured ETA out.

    with work_progress("Timing the ladder", total=len(rungs)) as progress:
        for index, rung in enumerate(rungs, 1):
            run(rung)
            progress(index, len(rungs), rung.name)

The bar is also a `ProgressFn`, so it can be handed to a workload (`train(..., progress=bar)`).
marimo's own ETA extrapolates from the first step; this one is measured after it (see
`gpulab.progress.EtaEstimator`) and shown in the subtitle.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from gpulab.progress import EtaEstimator

_TICKS = 1000  # marimo's bar counts integers; work maps onto this many ticks


class work_progress:  # noqa: N801 - used like a function: `with work_progress(...) as bar:`
    def __init__(self, title: str, total: float, subtitle: str = "") -> None:
        self.title = title
        self.subtitle = subtitle
        self.estimator = EtaEstimator(total=total)
        self._context: Any = None  # marimo's progress_bar; its __enter__ gives the bar to update
        self._bar: Any = None
        self._ticks = 0

    def __enter__(self) -> work_progress:
        import marimo as mo

        self._context = mo.status.progress_bar(
            total=_TICKS,
            title=self.title,
            subtitle=self.subtitle or self.estimator.describe(),
            show_eta=False,
            show_rate=False,
            remove_on_exit=True,
        )
        self._bar = self._context.__enter__()
        return self

    def __call__(self, done: float, total: float | None = None, note: str = "") -> None:
        """Report `done` units (of `total`, if it changed); `note` names the current step."""
        if total is not None and total != self.estimator.total and total > 0:
            self.estimator.total = total
        self.estimator.update(done)
        ticks = round(_TICKS * self.estimator.done / self.estimator.total)
        subtitle = self.estimator.describe() + (f" · {note}" if note else "")
        if self._bar is not None:
            self._bar.update(increment=max(0, ticks - self._ticks), subtitle=subtitle)
        self._ticks = max(self._ticks, ticks)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._context is not None:
            self._context.__exit__(exc_type, exc, tb)
