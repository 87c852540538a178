"""GL4xx: measurement: timings, randomness and claims that make results wrong or irreproducible."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.measurement.hardcoded_claim import HardcodedClaim
from gpulab.qa.lint.rules.measurement.timing_without_warmup import TimingWithoutWarmup
from gpulab.qa.lint.rules.measurement.unseeded_random import UnseededRandom
from gpulab.qa.lint.rules.measurement.unsynchronized_timing import UnsynchronizedTiming

RULES: dict[str, type[Rule]] = {
    "GL401": UnsynchronizedTiming,
    "GL402": TimingWithoutWarmup,
    "GL403": UnseededRandom,
    "GL404": HardcodedClaim,
}
