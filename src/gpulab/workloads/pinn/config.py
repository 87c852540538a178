"""What one PINN run trains: the PDE, the network, the optimiser schedule and the switches.

`PinnConfig.for_profile` gives the notebook's settings, `raissi` the reference set-up of Raissi
et al. (2019) for Burgers and `best` ours; nothing here imports torch.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

PDES = ("heat", "wave", "burgers", "poisson2d")
PDE_LABELS = {
    "heat": "1-D heat (analytic)",
    "wave": "1-D wave (analytic)",
    "burgers": "viscous Burgers (Cole–Hopf)",
    "poisson2d": "2-D Poisson (manufactured)",
}
BURGERS_NU = 0.01 / math.pi
DTYPES = ("float64", "float32")
# the second-order phase: torch's L-BFGS, or our dense self-scaled BFGS (quasi_newton.py)
OPTIMIZERS = ("lbfgs", "ssbfgs")
OPTIMIZER_LABELS = {"lbfgs": "L-BFGS", "ssbfgs": "self-scaled BFGS"}
# the dense inverse Hessian is n x n fp64: 20,000 parameters keep it at 3.2 GB and an update at
# 4e8 flops; beyond that a limited-memory method is the right tool
SSBFGS_MAX_PARAMETERS = 20_000
SWITCHES = ("hard", "fourier", "balance", "causal", "resample")
SWITCH_LABELS = {
    "hard": "hard initial/boundary conditions",
    "fourier": "Fourier features",
    "balance": "loss balancing (gradient norms)",
    "causal": "causal weighting in time",
    "resample": "residual-based adaptive resampling",
}


@dataclass(frozen=True)
class PinnConfig:
    """One training run. `budget_s` caps the wall time of training (0: no cap)."""

    pde: str = "heat"
    depth: int = 4  # hidden layers
    width: int = 32
    n_f: int = 2000  # collocation points
    n_u: int = 200  # initial and boundary points
    adam_steps: int = 1000
    lr: float = 1e-3
    lbfgs_steps: int = 200  # quasi-Newton iterations (strong Wolfe line search)
    optimizer: str = "lbfgs"  # "lbfgs" (torch's) or "ssbfgs" (dense self-scaled BFGS)
    lbfgs_history: int = 50  # curvature pairs L-BFGS keeps
    dtype: str = "float64"
    hard: bool = False  # output transform: no initial/boundary loss terms
    fourier: bool = False
    fourier_features: int = 16
    fourier_sigma: float = 1.0
    balance: bool = False
    balance_every: int = 50
    causal: bool = False
    causal_eps: float = 1.0
    causal_bins: int = 16
    resample: bool = False
    resample_every: int = 250
    resample_add: int = 200
    resample_lbfgs_every: int = 0  # with resample: L-BFGS rounds of this many iterations
    resample_max: int = 0  # resampling stops at this many collocation points (0: no cap)
    nu: float = BURGERS_NU
    budget_s: float = 0.0
    seed: int = 0
    device: str = "auto"
    log_every: int = 25

    def validate(self) -> None:
        """A one-line UsageError naming what to change."""
        if self.pde not in PDES:
            raise UsageError(f"unknown PDE {self.pde!r}; choose from {', '.join(PDES)}")
        if self.pde == "burgers" and not self.nu > 0:
            raise UsageError(
                f"Burgers needs a positive viscosity nu (got {self.nu}): Cole–Hopf and the "
                "PDE itself are ill-posed backwards in time for nu <= 0; try 0.01/pi = 0.00318"
            )
        if self.n_f <= 0:
            raise UsageError(
                f"the collocation set is empty (n_f = {self.n_f}): the PDE residual needs "
                "points; give n_f >= 1 (Raissi et al. use 10,000)"
            )
        if self.n_u <= 0:
            raise UsageError(f"n_u = {self.n_u}: give at least one initial/boundary point")
        if self.depth < 1 or self.width < 1:
            raise UsageError(
                f"the network needs depth and width >= 1, got {self.depth} x {self.width}"
            )
        if self.adam_steps < 0 or self.lbfgs_steps < 0 or self.adam_steps + self.lbfgs_steps == 0:
            raise UsageError("give Adam steps or L-BFGS iterations (both are zero or negative)")
        if self.lbfgs_history < 1 or min(self.resample_lbfgs_every, self.resample_max) < 0:
            raise UsageError(
                f"lbfgs_history = {self.lbfgs_history} must be >= 1, resample_lbfgs_every = "
                f"{self.resample_lbfgs_every} and resample_max = {self.resample_max} >= 0 "
                "(0: no L-BFGS rounds, no cap)"
            )
        if self.optimizer not in OPTIMIZERS:
            raise UsageError(
                f"optimizer {self.optimizer!r}: choose lbfgs (torch's L-BFGS) or ssbfgs "
                "(dense self-scaled BFGS)"
            )
        if self.optimizer == "ssbfgs" and self.parameter_count() > SSBFGS_MAX_PARAMETERS:
            n = self.parameter_count()
            raise UsageError(
                f"self-scaled BFGS keeps a dense {n:,} x {n:,} inverse Hessian "
                f"({n * n * 8 / 1e9:.1f} GB): at most {SSBFGS_MAX_PARAMETERS:,} parameters; "
                "narrow the network or choose L-BFGS"
            )
        if self.dtype not in DTYPES:
            raise UsageError(f"dtype {self.dtype!r}: choose float64 or float32")
        if not self.lr > 0:
            raise UsageError(f"Adam's learning rate must be positive, got {self.lr}")
        if self.budget_s < 0:
            raise UsageError(f"budget_s = {self.budget_s}: give 0 (no cap) or a positive time")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def parameter_count(self) -> int:
        """Weights and biases of the network `model.PinnNet` builds from this config."""
        sizes = [2 + (2 * self.fourier_features if self.fourier else 0)]
        sizes += [self.width] * self.depth + [1]
        return sum((a + 1) * b for a, b in zip(sizes, sizes[1:], strict=False))

    @property
    def optimizer_label(self) -> str:
        return OPTIMIZER_LABELS.get(self.optimizer, self.optimizer)

    def switches(self) -> tuple[str, ...]:
        return tuple(s for s in SWITCHES if getattr(self, s))

    @classmethod
    def for_profile(cls, profile: str) -> PinnConfig:
        """The notebook's start: heat in seconds on a CPU (smoke), Burgers for a GPU (full)."""
        if profiles.check(profile) == profiles.SMOKE:
            return cls(
                pde="heat",
                depth=3,
                width=20,
                n_f=500,
                n_u=100,
                adam_steps=200,
                lbfgs_steps=100,
                budget_s=20.0,
            )
        return best(budget_s=45.0)


def raissi(budget_s: float = 0.0, **changes: Any) -> PinnConfig:
    """Raissi et al. (2019), Burgers: 9 hidden layers x 20 tanh, N_u = 100, N_f = 10,000,
    L-BFGS only (here torch's, fp64, strong Wolfe), Xavier initialisation."""
    base = PinnConfig(
        pde="burgers",
        depth=9,
        width=20,
        n_f=10_000,
        n_u=100,
        adam_steps=0,
        lbfgs_steps=50_000,
        dtype="float64",
        budget_s=budget_s,
    )
    return replace(base, **changes)


def best(budget_s: float = 0.0, **changes: Any) -> PinnConfig:
    """Ours for Burgers: hard initial/boundary conditions (the residual is the only loss term),
    fp64 dense self-scaled BFGS from the first step (`quasi_newton.py`: on a net this small it
    keeps converging where torch's L-BFGS stalls; an Adam warm-up bought nothing measurable)
    and residual-based refinement every 300 iterations, 2,000 points a round added where the
    residual is largest (near the shock), from 5,000 up to 40,000 points, on 4 x 20 tanh.

    One config for every device: a GPU runs many more rounds in the same time, so its
    collocation set grows towards the cap where a CPU's stays near 10,000; the small net keeps
    the dense inverse Hessian (about 1,300 squared entries) cheap next to one residual pass.
    """
    base = PinnConfig(
        pde="burgers",
        depth=4,
        width=20,
        n_f=5_000,
        n_u=100,
        adam_steps=0,
        lbfgs_steps=50_000,
        lbfgs_history=50,
        optimizer="ssbfgs",
        dtype="float64",
        hard=True,
        resample=True,
        resample_lbfgs_every=300,
        resample_add=2_000,
        resample_max=40_000,
        budget_s=budget_s,
    )
    return replace(base, **changes)


def axes_for(pde: str) -> tuple[str, str]:
    """The two input axes' names: (x, y) for the steady Poisson problem, else (x, t)."""
    return ("x", "y") if pde == "poisson2d" else ("x", "t")
