"""The volume renderer against analytic cases: a uniform slab's transmittance and opacity, and
hierarchical sampling drawing where the weights are."""

from __future__ import annotations

import math

import torch

from gpulab.workloads.nerf import composite, transmittance
from gpulab.workloads.nerf.render import deltas, ray_box, sample_pdf, stratified


def test_uniform_slab_transmittance_is_exponential() -> None:
    sigma_value, a, b, count = 2.5, 1.0, 1.8, 400
    t = torch.linspace(0, 3, count + 1)[:-1][None]
    far = torch.tensor([3.0])
    delta = deltas(t, far)
    sigma = ((t >= a) & (t < b)).double() * sigma_value
    trans = transmittance(sigma, delta.double())[0]
    inside = (t[0] - a).clamp(min=0).clamp(max=b - a)
    expected = torch.exp(-sigma_value * inside.double())
    torch.testing.assert_close(trans, expected, atol=0.02, rtol=0)
    white = torch.ones(1, count, 3, dtype=torch.float64)
    colour, _, weights = composite(sigma, 0 * white, t.double(), delta.double(), torch.ones(3))
    opacity = 1 - math.exp(-sigma_value * (b - a))
    assert weights.sum().item() == pytest_approx(opacity)
    # black slab over a white background: what gets through is the transmittance
    assert colour[0, 0].item() == pytest_approx(1 - opacity)


def pytest_approx(value: float):  # noqa: ANN201
    import pytest

    return pytest.approx(value, abs=5e-3)


def test_ray_box_bounds() -> None:
    origins = torch.tensor([[0.0, 0.0, 3.0], [5.0, 5.0, 5.0]])
    dirs = torch.tensor([[0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
    near, far = ray_box(origins, dirs, 1.0)
    assert (near[0].item(), far[0].item()) == (2.0, 4.0)
    assert far[1] == near[1]  # a miss


def test_stratified_samples_stay_in_their_bins() -> None:
    t = stratified(torch.tensor([1.0]), torch.tensor([2.0]), 10, jitter=True)
    bins = ((t - 1) * 10).floor()
    assert torch.equal(bins[0], torch.arange(10.0))


def test_sample_pdf_draws_where_the_weight_is() -> None:
    edges = torch.linspace(0, 1, 11)[None]
    weights = torch.zeros(1, 10)
    weights[0, 7] = 1.0
    samples = sample_pdf(edges, weights, 200, jitter=True)
    assert ((samples >= 0.7) & (samples <= 0.8)).float().mean() > 0.95
