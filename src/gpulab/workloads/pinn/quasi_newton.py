"""Self-scaled BFGS with a dense inverse Hessian over one flat fp64 parameter vector.

Why not torch's L-BFGS: on small PINNs its limited memory and unscaled updates stall around
1e-3..1e-4 rel. L2 on Burgers, while a dense, self-scaled inverse Hessian (Al-Baali's scaling,
as in Urban et al. 2025 and Kiyani et al. 2025) keeps making progress. A few thousand
parameters make H (n x n) cheap next to one residual evaluation. The line search is torch's
strong-Wolfe one (`torch.optim.lbfgs._strong_wolfe`), whose (x, t, d) interface fits a flat
vector directly.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch.optim.lbfgs import _strong_wolfe

# (x) -> (loss, gradient): one evaluation of the objective at a flat parameter vector
Objective = Callable[[torch.Tensor], tuple[float, torch.Tensor]]
CURVATURE_EPS = 1e-12  # y.s below this (relative to |s| |y|) skips the update: H stays SPD


class SelfScaledBFGS:
    """Minimise `fun` from `x0`, one `step()` per iteration, so a caller can stop between.

    `x`, `f`, `g` are always the last accepted point (finite); a non-finite evaluation stops
    the optimizer (`stopped` says why) and leaves them as they were.
    """

    def __init__(self, fun: Objective, x0: torch.Tensor, max_ls: int = 25) -> None:
        self.fun, self.max_ls = fun, max_ls
        self.x = x0.detach().clone()
        self.H = torch.eye(len(self.x), dtype=self.x.dtype, device=self.x.device)
        self.first = True  # no curvature pair yet: H is the identity, the step is scaled
        self.iterations, self.evaluations, self.skipped = 0, 0, 0
        self.stopped = ""
        self.diverged = False  # stopped on a non-finite loss (x, f, g: the last good point)
        self.f, self.g = self._eval(self.x)
        if not self._finite(self.f, self.g):
            self.stopped = f"the starting loss is not finite ({self.f})"
            self.diverged = True

    def _eval(self, x: torch.Tensor) -> tuple[float, torch.Tensor]:
        self.evaluations += 1
        f, g = self.fun(x)
        return float(f), g.detach()

    @staticmethod
    def _finite(f: float, g: torch.Tensor) -> bool:
        return math.isfinite(f) and bool(torch.isfinite(g).all())

    def refresh(self) -> None:
        """Re-evaluate f and g at x after the objective changed (e.g. new collocation points);
        H is kept, as the loss landscape moves only a little."""
        f, g = self._eval(self.x)
        if self._finite(f, g):
            self.f, self.g = f, g
        else:
            self.stopped = f"the loss went non-finite ({f}) after the objective changed"
            self.diverged = True

    def step(self) -> bool:
        """One iteration: direction -H g, strong-Wolfe step, self-scaled update of H.
        False when it cannot go on (converged, stalled or non-finite: see `stopped`)."""
        if self.stopped:
            return False
        g = self.g
        if float(g.abs().max()) <= 1e-300:
            self.stopped = "the gradient is zero"
            return False
        d = -(self.H @ g)
        gtd = float(g @ d)
        if not gtd < 0:  # H lost positive definiteness (rounding): start over from I
            self.H = torch.eye(len(g), dtype=g.dtype, device=g.device)
            self.first = True
            d, gtd = -g, -float(g @ g)
        t = min(1.0, 1.0 / float(g.abs().sum())) if self.first else 1.0

        bad: list[float] = []  # non-finite losses the line search met

        def directional(x: torch.Tensor, t: float, d: torch.Tensor) -> tuple[float, torch.Tensor]:
            f, g = self._eval(x + t * d)
            if not self._finite(f, g):
                bad.append(f)
            return f, g

        f_new, g_new, t, _ = _strong_wolfe(
            directional, self.x, t, d, self.f, g, gtd, tolerance_change=1e-15, max_ls=self.max_ls
        )
        f_new, s = float(f_new), t * d
        finite = math.isfinite(t) and self._finite(f_new, g_new)
        if not finite or (bad and (float(s.abs().max()) == 0.0 or f_new >= self.f)):
            # a NaN met on the way and no finite decrease past it: stop where it was good
            seen = f_new if not finite else bad[0]
            self.stopped = f"the loss went non-finite ({seen}): the last good parameters are kept"
            self.diverged = True
            return False
        if float(s.abs().max()) == 0.0 or f_new > self.f:
            self.stopped = "the line search found no decrease"
            return False
        y = g_new - g
        self._update(s, y, t, gtd)
        self.x, self.f, self.g = self.x + s, f_new, g_new.detach().clone()
        self.iterations += 1
        return True

    def _update(self, s: torch.Tensor, y: torch.Tensor, t: float, gtd: float) -> None:
        """Self-scaled BFGS: H+ = (H - Hy yH / yHy + yHy v v^T) / tau + s s^T / y.s, with
        v = s / y.s - Hy / yHy and tau = min(1, y.s / s^T B s), s^T B s = -t^2 g.d (Al-Baali;
        B s = -t g as s = -t H g): the scaling shrinks an H that overestimates the inverse
        curvature. The first pair only sets H0's scale, so it is not scaled again."""
        ys = float(y @ s)
        if not ys > CURVATURE_EPS * float(s.norm() * y.norm()):
            self.skipped += 1  # non-positive curvature: an update would break H's SPD-ness
            return
        tau = min(1.0, ys / (-t * t * gtd))
        if self.first:  # Nocedal & Wright (6.20): H0 = (y.s / y.y) I before the first update
            self.H.mul_(ys / float(y @ y))
            self.first, tau = False, 1.0
        hy = self.H @ y
        yhy = float(y @ hy)
        v = s / ys - hy / yhy
        self.H.addr_(hy, hy, alpha=-1.0 / yhy).addr_(v, v, alpha=yhy).div_(tau)
        self.H.addr_(s, s, alpha=1.0 / ys)
        self.H = 0.5 * (self.H + self.H.T)  # keep it symmetric against rounding


def minimise(fun: Objective, x0: torch.Tensor, max_iter: int) -> SelfScaledBFGS:
    """Run up to `max_iter` iterations (fewer when it stops); the optimizer holds the result."""
    opt = SelfScaledBFGS(fun, x0)
    while opt.iterations < max_iter and opt.step():
        pass
    return opt
