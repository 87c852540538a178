"""What a suite found: each engine's records, speedups against pandas, the best engine per op,
the headline ratio, and cudf.pandas' CPU fallbacks in words."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from gpulab.timing import Timing

from .config import REFERENCE, SuiteConfig
from .data import Dataset
from .engines import ENGINES, EngineStatus
from .records import OpRecord


@dataclass
class EngineReport:
    """One engine's part of a suite: whether it could run, its records and setup facts."""

    engine: str
    status: EngineStatus
    records: dict[str, OpRecord] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def ran(self) -> bool:
        return self.status.available and self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "label": ENGINES[self.engine].label,
            "status": asdict(self.status),
            "info": self.info,
            "error": self.error,
            "records": {op: r.to_dict() for op, r in self.records.items()},
        }


@dataclass
class SuiteResult:
    """Every engine's report on one dataset, and what they add up to."""

    dataset: Dataset
    config: SuiteConfig
    engines: dict[str, EngineReport]
    seconds: float = 0.0

    def record(self, engine: str, op: str) -> OpRecord | None:
        report = self.engines.get(engine)
        return report.records.get(op) if report else None

    def records(self) -> list[tuple[str, str, OpRecord]]:
        """(engine, op, record) of every operation every engine recorded."""
        return [
            (name, op, rec)
            for name, report in self.engines.items()
            for op, rec in report.records.items()
        ]

    def speedups(self, op: str) -> dict[str, float]:
        """pandas median / engine median for every engine that ran `op` and matched pandas."""
        ref = self.record(REFERENCE, op)
        if ref is None or not ref.ok:
            return {}
        out = {}
        for name in self.engines:
            rec = self.record(name, op)
            if name != REFERENCE and rec is not None and rec.ok and rec.equal is not False:
                out[name] = ref.timing.median_s / rec.timing.median_s
        return out

    def best(self, op: str) -> tuple[str, float] | None:
        """The fastest engine (other than pandas) with a correct result, and its speedup."""
        ratios = self.speedups(op)
        if not ratios:
            return None
        name = max(ratios, key=ratios.get)
        return name, ratios[name]

    def headline(self) -> float | None:
        """Geometric mean over operations of pandas time / best engine time."""
        ratios = [best[1] for op in self.config.operations if (best := self.best(op))]
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios)) if ratios else None

    def checked(self) -> int:
        """How many results were compared with pandas'."""
        return sum(1 for _, _, rec in self.records() if rec.equality is not None)

    def mismatches(self) -> list[tuple[str, str, OpRecord]]:
        """(engine, op, record) of every result that differs from pandas'."""
        return [
            (name, op, rec)
            for name, op, rec in self.records()
            if rec.equality is not None and not rec.equality.ok
        ]

    def fallback_summary(self, op: str, engine: str = "cudf.pandas") -> str | None:
        """`engine`'s time for `op`, its speed vs pandas and its CPU fallback in words; None
        when nothing fell back."""
        rec = self.record(engine, op)
        note = fallback_note(rec) if rec is not None else None
        if note is None:
            return None
        ratio = self.speedups(op).get(engine)
        return (
            (rec.timing.spread() if rec.timing else "no timing")
            + (f" ({format_ratio(ratio)} pandas' speed)" if ratio else "")
            + f": {note}."
        )

    def gpu_ran(self) -> bool:
        """Whether a GPU engine timed at least one operation (else every ratio is CPU vs CPU)."""
        return any(
            ENGINES[name].gpu and report.ran and any(r.ok for r in report.records.values())
            for name, report in self.engines.items()
        )

    def missing(self) -> dict[str, dict[str, str]]:
        return {
            name: {"reason": r.status.reason or (r.error or ""), "hint": r.status.hint}
            for name, r in self.engines.items()
            if not r.ran
        }

    def rows(self) -> list[dict[str, Any]]:
        """Long-form rows (one per engine × op) for tables and charts."""
        out = []
        for name, op, rec in self.records():
            ratio = self.speedups(op).get(name) if name != REFERENCE else 1.0
            out.append(
                {
                    "rows": self.dataset.rows,
                    "engine": name,
                    "label": ENGINES[name].label,
                    "op": op,
                    **timing_fields(rec.timing),
                    "to_host_s": rec.to_host.median_s if rec.to_host else None,
                    "to_host_note": rec.to_host_note,
                    "note": fallback_note(rec),
                    "speedup": ratio if rec.ok else None,
                    "equal": rec.equal,
                    "status": status_text(rec),
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset.to_dict(),
            "config": asdict(self.config),
            "seconds": self.seconds,
            "engines": {name: r.to_dict() for name, r in self.engines.items()},
            "headline_speedup": self.headline(),
            "best": {op: self.best(op) for op in self.config.operations},
            "missing": self.missing(),
        }


def format_ratio(ratio: float) -> str:
    """A speed ratio as every view shows it: `1.85×`."""
    return f"{ratio:.2f}×"


def timing_fields(timing: Timing | None) -> dict[str, Any]:
    """An op's median, p10, p90 and repeat count (None and 0 when it has no timing)."""
    return {
        "median_s": timing.median_s if timing else None,
        "p10_s": timing.p10_s if timing else None,
        "p90_s": timing.p90_s if timing else None,
        "repeats": timing.repeats if timing else 0,
    }


def fallback_note(rec: OpRecord) -> str | None:
    """What a cudf.pandas CPU fallback means for the op's time, in words (a finding about
    cudf.pandas, not an error: the result is still checked against pandas)."""
    if not rec.cpu_fallbacks:
        return None
    return (
        f"ran on the CPU: cuDF could not run {', '.join(rec.cpu_fallbacks)} on the GPU, so "
        "cudf.pandas fell back to pandas; the time includes copying the data from GPU to host "
        "memory and pandas' own run"
    )


def status_text(rec: OpRecord) -> str:
    """An op's check in a few words: skipped, error, reference, not checked, equal, MISMATCH."""
    if rec.skipped:
        return f"skipped: {rec.skipped}"
    if rec.error:
        return f"error: {rec.error.splitlines()[0][:200]}"
    if rec.equality is None:
        return "reference" if rec.engine == REFERENCE else "not checked"
    return "equal" if rec.equality.ok else f"MISMATCH: {rec.equality.summary}"
