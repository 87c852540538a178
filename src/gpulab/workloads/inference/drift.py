"""Drift against the FP32 reference: how far a rung's output moved, and whether it still counts."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DriftThreshold:
    """The most a rung of this precision may differ from the FP32 reference and still count."""

    max_relative_error: float  # worst sample's ||output - reference|| / ||reference||
    min_top1: float  # least share of samples keeping the reference's arg-max class


# The criterion is the relative L2 error of the worst sample: it grows linearly with the error,
# where cosine similarity (1 - cos ~ error^2 / 2) cannot tell one bf16 rounding from FP32 noise.
# Bounds are set for random weights, the harsh case: their logits are near-tied (top-1 flips on
# tiny errors) and rounding in bf16 moved a random ResNet-50's centred logits by ~9% (CPU,
# 32 images at 128 px), where a trained model moves by ~1%. A wrong result (another sample's
# output, garbage, a mis-laid-out tensor) lands at >= 1.
THRESHOLDS: dict[str, DriftThreshold] = {
    "fp32": DriftThreshold(1e-3, 0.99),
    "tf32": DriftThreshold(0.05, 0.90),
    "bf16": DriftThreshold(0.25, 0.60),
    "fp16": DriftThreshold(0.25, 0.60),
}


@dataclass
class Drift:
    """How far a rung's output is from the FP32 reference on the same inputs."""

    max_abs_diff: float
    relative_error_max: float  # worst sample's ||diff|| / ||reference||
    cosine_min: float  # worst sample's cosine similarity
    cosine_mean: float
    top1_agreement: float | None  # share of samples with the same arg-max class (CNN logits)
    threshold: DriftThreshold
    verified: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare_outputs(
    reference: Any, output: Any, precision: str, classification: bool = False
) -> Drift:
    """Drift of `output` against `reference`; `verified` is False when it exceeds the threshold."""
    import torch  # only when comparing: reading the thresholds stays cheap

    threshold = THRESHOLDS[precision]
    if tuple(output.shape) != tuple(reference.shape):
        reason = f"shape {tuple(output.shape)} != reference {tuple(reference.shape)}"
        return Drift(math.inf, math.inf, -1.0, -1.0, None, threshold, False, reason)
    ref = reference.detach().double().cpu().reshape(reference.shape[0], -1)
    out = output.detach().double().cpu().reshape(output.shape[0], -1)
    finite = bool(torch.isfinite(out).all())
    diff = out - ref
    relative = diff.norm(dim=1) / ref.norm(dim=1).clamp_min(1e-30)
    relative_max = float(relative.max()) if finite else math.inf
    cosine = torch.nan_to_num(torch.nn.functional.cosine_similarity(out, ref, dim=1), nan=-1.0)
    top1 = float((out.argmax(1) == ref.argmax(1)).double().mean()) if classification else None
    problems = []
    if not finite:
        problems.append("non-finite values (inf/NaN) in the output")
    elif relative_max > threshold.max_relative_error:
        problems.append(f"relative error {relative_max:.3g} > {threshold.max_relative_error}")
    if top1 is not None and top1 < threshold.min_top1:
        problems.append(f"top-1 agreement {top1:.3f} < {threshold.min_top1}")
    return Drift(
        max_abs_diff=float(diff.abs().max()) if finite else math.inf,
        relative_error_max=relative_max,
        cosine_min=float(cosine.min()),
        cosine_mean=float(cosine.mean()),
        top1_agreement=top1,
        threshold=threshold,
        verified=not problems,
        reason="; ".join(problems),
    )
