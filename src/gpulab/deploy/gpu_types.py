"""The GPU names Modal documents, in one place, so a typo fails here and not after a deploy.

Modal accepts any string when its decorator runs and only refuses it on the server, after the
image has been built; checking against the documented list turns that into a one-line error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gpulab.errors import UsageError

# Source: https://modal.com/docs/guide/gpu ("Specifying GPU type" and "Specifying GPU count").
# "H100!" pins an H100 (no automatic upgrade to an H200); "B200+" may also run on a B300.
# Modal upper-cases the name, so matching is case-insensitive.
SOURCE_URL = "https://modal.com/docs/guide/gpu"
MAX_COUNT: dict[str, int] = {
    "T4": 8,
    "L4": 8,
    "A10": 4,
    "L40S": 8,
    "A100": 8,
    "A100-40GB": 8,
    "A100-80GB": 8,
    "RTX-PRO-6000": 8,
    "H100": 8,
    "H100!": 8,
    "H200": 8,
    "B200": 8,
    "B200+": 8,
}
NAMES = tuple(MAX_COUNT)

_SPEC = re.compile(r"(?P<name>[^:\s]+)(?::(?P<count>\d+))?")


@dataclass(frozen=True)
class GpuRequest:
    name: str  # as Modal documents it, e.g. "A100-80GB"
    count: int

    def modal_string(self) -> str:
        """The value for `@app.function(gpu=...)`: "H100" or "H100:2"."""
        return self.name if self.count == 1 else f"{self.name}:{self.count}"


def parse(spec: str) -> GpuRequest:
    """'h100:2' -> GpuRequest('H100', 2); a name Modal does not document is a UsageError."""
    match = _SPEC.fullmatch(spec.strip())
    if not match:
        raise UsageError(
            f"invalid GPU {spec!r}: write TYPE or TYPE:COUNT, e.g. H100 or A100-80GB:2"
        )
    name = match["name"].upper()
    if name not in MAX_COUNT:
        raise UsageError(
            f"unknown Modal GPU type {match['name']!r}: choose one of {', '.join(NAMES)} "
            f"(from {SOURCE_URL})"
        )
    count = int(match["count"] or 1)
    if not 1 <= count <= MAX_COUNT[name]:
        raise UsageError(
            f"invalid GPU count {count} for {name}: 1 to {MAX_COUNT[name]} per container"
        )
    return GpuRequest(name, count)
