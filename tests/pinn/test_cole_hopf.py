"""The Burgers reference: Gauss–Hermite in log-sum-exp form against a fine trapezoid rule and
against Basdevant et al. (1986), max |du/dx| = 152.00516 at t = 1.6037/pi."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gpulab.workloads.pinn import BURGERS_NU, burgers_exact, burgers_exact_dx, burgers_trapezoid


def test_matches_a_fine_trapezoid_rule_across_the_domain() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 40)
    t = rng.uniform(0.01, 1.0, 40)
    ours = burgers_exact(x, t, BURGERS_NU)
    ref = np.array([burgers_trapezoid(a, b, BURGERS_NU, 40_001) for a, b in zip(x, t, strict=True)])
    assert np.max(np.abs(ours - ref)) < 1e-10


def test_basdevant_maximum_slope() -> None:
    t_star = 1.6037 / math.pi
    slope = burgers_exact_dx(0.0, t_star, BURGERS_NU)
    assert abs(abs(float(slope)) - 152.00516) < 1e-4
    # ... and it is the maximum in time at x = 0
    around = [abs(float(burgers_exact_dx(0.0, t_star + d, BURGERS_NU))) for d in (-0.01, 0.01)]
    assert max(around) < abs(float(slope))


def test_derivative_agrees_with_finite_differences_where_smooth() -> None:
    h = 1e-6
    x, t = 0.4, 0.3
    fd = (burgers_exact(x + h, t, BURGERS_NU) - burgers_exact(x - h, t, BURGERS_NU)) / (2 * h)
    assert float(fd) == pytest.approx(float(burgers_exact_dx(x, t, BURGERS_NU)), rel=1e-6)


def test_initial_and_boundary_conditions_hold() -> None:
    x = np.linspace(-1, 1, 11)
    assert np.allclose(burgers_exact(x, 0.0, BURGERS_NU), -np.sin(np.pi * x), atol=1e-14)
    walls = burgers_exact(np.array([-1.0, 1.0]), np.array([0.5, 0.5]), BURGERS_NU)
    assert np.allclose(walls, 0.0, atol=1e-12)


def test_no_overflow_at_small_viscosity() -> None:
    u = burgers_exact(np.linspace(-1, 1, 64), 0.9, 0.001 / math.pi)
    assert np.all(np.isfinite(u)) and np.max(np.abs(u)) <= 1.0 + 1e-12
