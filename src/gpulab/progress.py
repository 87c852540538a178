"""Progress over work of uneven cost, with an ETA from the rate measured so far.

A step count is a poor clock when steps differ (a 10^7-row table after a 10^4-row one) or when the
first step pays for warm-up (CUDA context, compilation). So work is counted in units of comparable
cost (rows x operations, tokens, samples), and the rate is measured from the end of the first
reported unit: the first step's warm-up never sets the ETA. Workloads report through the
`ProgressFn` callback and stay free of any UI; `gpulab.ui.work_progress` draws it in marimo.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# progress(done, total, note): `done` and `total` in the same work units.
ProgressFn = Callable[[float, float, str], None]


def no_progress(done: float, total: float, note: str = "") -> None:
    """The default callback: report nothing."""


def printed_progress(
    every_s: float = 0.0, clock: Callable[[], float] = time.monotonic
) -> ProgressFn:
    """A callback for terminals (`gpulab bench`): `  [ 42 %] note` lines, at most one per
    `every_s` seconds and always the last, so a long run shows where it is without flooding."""
    last: float | None = None

    def say(done: float, total: float, note: str = "") -> None:
        nonlocal last
        now = clock()
        if last is not None and now - last < every_s and done < total:
            return
        last = now
        share = 100 * done / total if total > 0 else 0.0
        print(f"  [{share:3.0f} %] {note}", flush=True)

    return say


@dataclass
class EtaEstimator:
    """Seconds left for `total` units of work, from the rate after the first report."""

    total: float
    clock: Callable[[], float] = time.monotonic
    done: float = 0.0
    _start: float | None = field(default=None, init=False)
    _mark: tuple[float, float] | None = field(default=None, init=False)  # (time, done) at 1st

    def __post_init__(self) -> None:
        if self.total <= 0:
            raise ValueError(f"total work must be positive, got {self.total}")
        self._start = self.clock()

    def update(self, done: float) -> None:
        """Record that `done` units are finished (monotonic; capped at `total`)."""
        self.done = min(max(done, self.done), self.total)
        if self._mark is None and self.done > 0:
            self._mark = (self.clock(), self.done)

    @property
    def elapsed_s(self) -> float:
        return self.clock() - (self._start or 0.0)

    @property
    def rate(self) -> float | None:
        """Units per second since the first report; None until a second report measured it."""
        if self._mark is None:
            return None
        seconds, work = self.clock() - self._mark[0], self.done - self._mark[1]
        return work / seconds if seconds > 0 and work > 0 else None

    @property
    def eta_s(self) -> float | None:
        rate = self.rate
        return None if rate is None else (self.total - self.done) / rate

    def describe(self) -> str:
        """`'62 % · 41 s elapsed · about 25 s left'`; no ETA until the rate is measured."""
        share = f"{100 * self.done / self.total:.0f} %"
        elapsed = f"{self.elapsed_s:.0f} s elapsed"
        eta = self.eta_s
        left = "measuring the rate..." if eta is None else f"about {_duration(eta)} left"
        if self.done >= self.total:
            left = "done"
        return f"{share} · {elapsed} · {left}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def tqdm_forwarding(progress: ProgressFn) -> type:
    """A tqdm-compatible class whose bars report to `progress` instead of a terminal.

    Libraries that count their own work with tqdm (transformers converting a GGUF file or
    downloading a checkpoint) accept a `tqdm_class` or import `tqdm` by name; this class stands in
    for it, so their count reaches the notebook's bar. Only what those libraries call is here.
    """

    class ForwardingBar:
        def __init__(
            self,
            iterable: Any = None,
            desc: str | None = None,
            total: float | None = None,
            **_: Any,
        ) -> None:
            self.iterable = iterable
            self.desc = desc or ""
            if total is None and iterable is not None and hasattr(iterable, "__len__"):
                total = len(iterable)
            self.total = float(total or 0)
            self.n = 0.0

        def __iter__(self) -> Iterator[Any]:
            for item in self.iterable:
                yield item
                self.update(1)

        def update(self, n: float = 1) -> None:
            self.n += n
            if self.total > 0:
                progress(self.n, self.total, self.desc)

        def __enter__(self) -> ForwardingBar:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def close(self) -> None:
            """Nothing to tear down: the notebook owns the bar."""

        def set_description(self, desc: str = "", refresh: bool = True) -> None:
            self.desc = desc

        def set_postfix(self, *args: Any, **kwargs: Any) -> None:
            """Extra text a terminal bar would show: not forwarded."""

        def refresh(self) -> None:
            """A terminal bar redraws; the notebook's bar is updated by `update`."""

    return ForwardingBar
