"""What the suite measures and how: the operations, the table sizes, warm-up and repeats.

`SuiteConfig.for_profile` gives the notebook's settings, `bench_for_profile` the benchmark's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

from .engines import ENGINES

OPERATIONS = (
    "filter",
    "groupby",
    "join",
    "sort",
    "rolling",
    "strings",
    "resample",
    "read_parquet",
    "write_parquet",
)
SIZES = (10**4, 10**5, 10**6, 10**7, 10**8)  # the table sizes offered (rows)
REFERENCE = "pandas"  # every speedup and every equality check is against this engine
ROLLING_WINDOW = 100  # rows
RESAMPLE_EVERY = "1min"  # pandas spelling; polars: "1m"
STRING_NEEDLE = "7"


@dataclass
class SuiteConfig:
    """How to measure: which operations, engines and table sizes, how many warm-up and timed
    calls. One suite runs per size; `sizes` feeds the scaling chart."""

    operations: tuple[str, ...] = OPERATIONS
    engines: tuple[str, ...] = ("pandas", "pandas-arrow", "polars", "cudf.pandas", "polars-gpu")
    warmup: int = 1
    repeats: int = 3  # at least this many timed calls ...
    min_time_s: float = 0.25  # ... and more (up to max_repeats) until this much was measured
    max_repeats: int = 20
    rtol: float = 1e-6  # float tolerance of the equality check (sums and means reorder)
    atol: float = 1e-9
    worker_timeout_s: float = 1200.0
    sizes: tuple[int, ...] = (10**5, 10**6, 10**7)

    def __post_init__(self) -> None:
        unknown = [op for op in self.operations if op not in OPERATIONS]
        if unknown:
            raise UsageError(f"unknown operation(s) {unknown}; choose from {list(OPERATIONS)}")
        unknown = [name for name in self.engines if name not in ENGINES]
        if unknown:
            raise UsageError(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
        if self.warmup < 1 or self.repeats < 3:
            raise UsageError("need at least 1 warm-up and 3 timed repeats")
        if self.max_repeats < self.repeats:
            raise UsageError("max_repeats must be >= repeats")
        if not self.operations:
            raise UsageError("choose at least one operation")
        if not self.sizes:
            raise UsageError("choose at least one table size")
        if min(self.sizes) < 1:
            raise UsageError(f"table sizes must be positive, got {list(self.sizes)}")

    @classmethod
    def for_profile(cls, profile: str) -> SuiteConfig:
        """The notebook's settings. smoke: 10^4 and 10^5 rows and no top-up repeats (the code
        path in seconds on a CPU); full: 10^5 to 10^7 rows, fast operations topped up until
        0.25 s was measured."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(sizes=(10**4, 10**5), min_time_s=0.0)
        return cls()

    @classmethod
    def bench_for_profile(cls, profile: str) -> SuiteConfig:
        """The benchmark's settings, unlike the notebook's: one table size, because the report
        holds one headline ratio and no scaling chart (smoke 10^4 rows, full 10^7). Full tops
        fast operations up until 0.5 s was measured, twice the notebook's 0.25 s, for steadier
        recorded medians; smoke tops them up to 0.02 s with at most 10 repeats."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(sizes=(10**4,), min_time_s=0.02, max_repeats=10)
        return cls(sizes=(10**7,), min_time_s=0.5)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteConfig:
        """The config back from `dataclasses.asdict` via JSON (lists become tuples again)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
