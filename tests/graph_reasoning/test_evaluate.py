"""Evaluation: counts against a direct count, the collapse detector on a planted degenerate
model, intervals against scipy's t distribution."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats as scipy_stats

from gpulab.workloads.graph_reasoning import (
    ReasoningConfig,
    build_model,
    evaluate,
    from_predictions,
    mean_ci,
    separated,
)
from gpulab.workloads.graph_reasoning.data import build_domain


def test_confusion_and_per_class_counts() -> None:
    labels = [0, 0, 0, 1, 1, 1, 1]
    preds = [0, 1, 0, 1, 1, 0, 1]
    ev = from_predictions(labels, preds, 0.5)
    assert ev.confusion == [[2, 1], [1, 3]]
    assert ev.accuracy == pytest.approx(5 / 7)
    assert ev.per_class == pytest.approx([2 / 3, 3 / 4])
    assert ev.histogram == [3, 4] and ev.collapse is None


def test_collapse_detector_fires_on_a_planted_degenerate_model() -> None:
    config = ReasoningConfig.for_profile("smoke")
    model = build_model("bag-of-relations-mlp", config)
    last = model.net[-1]
    with torch.no_grad():  # whatever the input, class 1 wins
        last.weight.zero_()
        last.bias.copy_(torch.tensor([-5.0, 5.0]))
    data = build_domain("causal", 200)
    ev = evaluate(model, data.test, "cpu")
    assert ev.histogram == [0, len(data.test)]
    assert ev.collapse == (1, 1.0)
    assert 0.3 < ev.accuracy < 0.7  # near chance: the accuracy alone would not say it


def test_ninety_percent_is_not_yet_a_collapse() -> None:
    assert from_predictions([0] * 10, [1] * 9 + [0], 0.0).collapse is None
    assert from_predictions([0] * 11, [1] * 10 + [0], 0.0).collapse == (1, 10 / 11)


def test_interval_matches_scipy() -> None:
    values = [0.61, 0.64, 0.66, 0.59]
    mean, half = mean_ci(values)
    low, high = scipy_stats.t.interval(
        0.95, len(values) - 1, loc=mean, scale=scipy_stats.sem(values)
    )
    assert mean == pytest.approx(sum(values) / 4)
    assert half == pytest.approx((high - low) / 2, rel=1e-3)
    assert math.isnan(mean_ci([0.5])[1])
    assert separated((0.8, 0.02), (0.6, 0.05)) and not separated((0.8, 0.2), (0.6, 0.05))
