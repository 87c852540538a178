"""Means over seeds with 95 % confidence intervals (Student's t), and what they let us claim."""

from __future__ import annotations

import math
import statistics

# Two-sided 95 % critical values of Student's t for 1..30 degrees of freedom.
_T95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(dof: int) -> float:
    """The 97.5th percentile of t with `dof` degrees of freedom (1.96 beyond 30)."""
    return _T95[dof - 1] if 1 <= dof <= len(_T95) else 1.96


def mean_ci(values: list[float]) -> tuple[float, float]:
    """(mean, half-width of its 95 % interval); the half-width is NaN for a single value."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    return mean, t95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def separated(ours: tuple[float, float], other: tuple[float, float]) -> bool:
    """True where our interval lies wholly above the other's (needs two or more seeds)."""
    if math.isnan(ours[1]) or math.isnan(other[1]):
        return False
    return ours[0] - ours[1] > other[0] + other[1]
