"""What one operation on one engine produced: its timing, its host copy, whether it was right."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab.timing import Timing

from .equality import EqualityReport


@dataclass
class OpRecord:
    """One operation on one engine: its timing, its host conversion, and whether it was right."""

    engine: str
    op: str
    timing: Timing | None = None
    to_host: Timing | None = None  # device → host conversion, timed apart from the op
    to_host_note: str | None = None  # why `to_host` was not timed (result already on the host)
    result_on_host: bool = True  # False: the op's result stays on the GPU until to_host
    includes_transfer: bool = False  # True: the op's time includes host ↔ GPU copies (polars GPU)
    started: float = 0.0  # time.monotonic() (system-wide clock: comparable across processes)
    ended: float = 0.0
    result_rows: int | None = None
    error: str | None = None
    skipped: str | None = None
    equality: EqualityReport | None = None
    cpu_fallbacks: list[str] | None = None  # cudf.pandas: functions that ran on the CPU

    @property
    def ok(self) -> bool:
        return self.timing is not None and self.error is None

    @property
    def equal(self) -> bool | None:
        return None if self.equality is None else self.equality.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "op": self.op,
            "timing": self.timing.to_dict() if self.timing else None,
            "to_host": self.to_host.to_dict() if self.to_host else None,
            "to_host_note": self.to_host_note,
            "result_on_host": self.result_on_host,
            "includes_transfer": self.includes_transfer,
            "started": self.started,
            "ended": self.ended,
            "result_rows": self.result_rows,
            "error": self.error,
            "skipped": self.skipped,
            "equality": self.equality.to_dict() if self.equality else None,
            "cpu_fallbacks": self.cpu_fallbacks,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OpRecord:
        data = dict(data)
        for key in ("timing", "to_host"):
            if data.get(key):
                data[key] = _timing_from_dict(data[key])
        if data.get("equality"):
            data["equality"] = EqualityReport(**data["equality"])
        return cls(**data)


def _timing_from_dict(data: dict[str, Any]) -> Timing:
    return Timing(
        samples_s=list(data["samples_s"]),
        method=data["method"],
        warmup=data["warmup"],
        work_per_call=data.get("work_per_call"),
        unit=data.get("unit", "calls"),
    )


def describe_error(err: BaseException) -> str:
    """An op's or an engine's failure as one recorded line, naming an out-of-memory as such."""
    text = f"{type(err).__name__}: {err}".strip()
    lowered = text.lower()
    if isinstance(err, MemoryError):
        text = "Out of host memory — choose fewer rows. " + text
    elif "out of memory" in lowered or "out_of_memory" in lowered or "bad_alloc" in lowered:
        text = "GPU out of memory — try fewer rows. " + text
    return text[:2000]
