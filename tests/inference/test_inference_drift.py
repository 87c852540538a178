"""Drift against the FP32 reference decides whether a rung is verified."""

from __future__ import annotations

import math

import pytest
import torch

from gpulab.workloads.inference import THRESHOLDS, compare_outputs


def logits(rows: int = 64, classes: int = 1000) -> torch.Tensor:
    return torch.randn(rows, classes, generator=torch.Generator().manual_seed(0)) * 3


def test_identical_output_is_verified_with_zero_drift() -> None:
    reference = logits()
    drift = compare_outputs(reference, reference.clone(), "fp32", classification=True)
    assert drift.verified and drift.reason == ""
    assert drift.max_abs_diff == 0 and drift.top1_agreement == 1.0
    assert math.isclose(drift.cosine_min, 1.0, rel_tol=1e-6)


def test_bf16_rounding_passes_bf16_threshold_but_not_fp32() -> None:
    reference = logits()
    rounded = reference.to(torch.bfloat16)
    assert compare_outputs(reference, rounded, "bf16", classification=True).verified
    strict = compare_outputs(reference, rounded, "fp32", classification=True)
    assert not strict.verified and "relative error" in strict.reason
    assert strict.cosine_min > 0.99999  # cosine alone could not have told


def test_planted_wrong_output_is_flagged() -> None:
    reference = logits()
    shuffled = reference.roll(1, dims=0)  # every sample gets its neighbour's logits
    drift = compare_outputs(reference, shuffled, "bf16", classification=True)
    assert not drift.verified
    assert drift.relative_error_max > THRESHOLDS["bf16"].max_relative_error
    assert drift.top1_agreement is not None and drift.top1_agreement < 0.1


def test_top1_disagreement_alone_fails_verification() -> None:
    reference = torch.zeros(10, 5)
    reference[:, 0], reference[:, 1] = 1.0, 0.9995  # near-tied classes
    output = reference.clone()
    output[:5, 1] = 1.0005  # a tiny error that flips half of the predicted classes
    drift = compare_outputs(reference, output, "bf16", classification=True)
    assert drift.relative_error_max < THRESHOLDS["bf16"].max_relative_error
    assert drift.top1_agreement == pytest.approx(0.5)
    assert not drift.verified and drift.reason.startswith("top-1")


def test_non_finite_output_is_not_verified() -> None:
    reference = logits(4, 10)
    output = reference.clone()
    output[0, 0] = float("inf")
    drift = compare_outputs(reference, output, "fp16")
    assert not drift.verified and "non-finite" in drift.reason
    assert drift.max_abs_diff == math.inf


def test_wrong_shape_is_not_verified() -> None:
    drift = compare_outputs(logits(4, 10), logits(4, 11), "fp32")
    assert not drift.verified and "shape" in drift.reason


def test_transformer_outputs_have_no_top1() -> None:
    hidden = torch.randn(2, 8, 16)
    drift = compare_outputs(hidden, hidden + 1e-6, "fp32", classification=False)
    assert drift.top1_agreement is None and drift.verified
