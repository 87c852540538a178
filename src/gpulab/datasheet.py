"""Datasheet peaks of common data-centre GPUs, so measurements can be shown as % of peak.

Figures are NVIDIA's published *dense* rates (the sparsity figures halved), TFLOPS for matrix
work, and memory bandwidth in GB/s. They are the ceiling a benchmark is compared with, never a
result: every number a notebook shows is measured in that run.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Datasheet:
    """Dense peak rates of one GPU model (TFLOPS; None where the format is unsupported)."""

    model: str
    fp32: float
    tf32: float | None
    fp16: float
    bf16: float | None
    fp8: float | None
    bandwidth_gbs: float
    memory_gib: int

    def peak_tflops(self, dtype: str) -> float | None:
        """Peak for a dtype name such as 'bf16' or 'float16'."""
        key = _DTYPE_ALIASES.get(dtype.lower(), dtype.lower())
        return getattr(self, key, None)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


_DTYPE_ALIASES = {
    "float32": "fp32",
    "float": "fp32",
    "tensorfloat32": "tf32",
    "float16": "fp16",
    "half": "fp16",
    "bfloat16": "bf16",
    "float8": "fp8",
    "float8_e4m3fn": "fp8",
}

# (pattern matched against the name NVML/torch report, datasheet). Order matters: the first match
# wins, so more specific names (H100 NVL, A100 80GB PCIe) come before general ones.
_TABLE: list[tuple[str, Datasheet]] = [
    # GB200: one Blackwell GPU of the superchip (NVIDIA quotes the pair; these are halves, dense).
    (r"\bGB200\b", Datasheet("GB200", 90.0, 1250.0, 2500.0, 2500.0, 5000.0, 8000.0, 186)),
    (r"\bB200\b", Datasheet("B200", 75.0, 1100.0, 2250.0, 2250.0, 4500.0, 8000.0, 180)),
    (r"\bH200\b.*\bNVL\b", Datasheet("H200 NVL", 60.0, 417.5, 835.5, 835.5, 1670.5, 4800.0, 141)),
    (r"\bH200\b", Datasheet("H200 SXM", 67.0, 494.5, 989.4, 989.4, 1978.9, 4800.0, 141)),
    (r"\bH100\b.*\bNVL\b", Datasheet("H100 NVL", 60.0, 417.5, 835.5, 835.5, 1670.5, 3900.0, 94)),
    (r"\bH100\b.*\bPCIe\b", Datasheet("H100 PCIe", 51.0, 378.0, 756.0, 756.0, 1513.0, 2000.0, 80)),
    (r"\bH100\b", Datasheet("H100 SXM", 67.0, 494.5, 989.4, 989.4, 1978.9, 3350.0, 80)),
    (
        r"\bA100\b.*80\s*GB.*PCIe",
        Datasheet("A100 80GB PCIe", 19.5, 156.0, 312.0, 312.0, None, 1935.0, 80),
    ),
    (r"\bA100\b.*80\s*GB", Datasheet("A100 80GB SXM", 19.5, 156.0, 312.0, 312.0, None, 2039.0, 80)),
    (r"\bA100\b", Datasheet("A100 40GB", 19.5, 156.0, 312.0, 312.0, None, 1555.0, 40)),
    (r"\bL40S\b", Datasheet("L40S", 91.6, 183.0, 362.05, 362.05, 733.0, 864.0, 48)),
    (r"\bL4\b", Datasheet("L4", 30.3, 60.0, 121.0, 121.0, 242.5, 300.0, 24)),
    (r"\bA10\b", Datasheet("A10", 31.2, 62.5, 125.0, 125.0, None, 600.0, 24)),
    (r"\bT4\b", Datasheet("T4", 8.1, None, 65.0, None, None, 320.0, 16)),
    (r"\bV100\b", Datasheet("V100 SXM2", 15.7, None, 125.0, None, None, 900.0, 32)),
]


def datasheet_for(gpu_name: str) -> Datasheet | None:
    """Match a reported GPU name ('NVIDIA H100 80GB HBM3') to its datasheet; None if unknown."""
    for pattern, sheet in _TABLE:
        if re.search(pattern, gpu_name, flags=re.IGNORECASE):
            return sheet
    return None


def known_models() -> list[str]:
    return [sheet.model for _, sheet in _TABLE]
