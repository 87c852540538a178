"""Bad input gets a one-line UsageError; an L-BFGS step that goes to NaN keeps the last good model."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from gpulab.errors import UsageError
from gpulab.workloads.pinn import PinnConfig, loop, train

SMOKE = PinnConfig.for_profile("smoke")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"pde": "burgers", "nu": -0.01}, "positive viscosity"),
        ({"pde": "burgers", "nu": 0.0}, "positive viscosity"),
        ({"n_f": 0}, "collocation set is empty"),
        ({"pde": "navier"}, "unknown PDE"),
        ({"adam_steps": 0, "lbfgs_steps": 0}, "Adam steps or L-BFGS"),
        ({"dtype": "float16"}, "float64 or float32"),
    ],
)
def test_bad_config_is_named(changes: dict, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        replace(SMOKE, **changes).validate()
    with pytest.raises(UsageError, match=words):
        train(replace(SMOKE, **changes))


def test_lbfgs_nan_keeps_the_last_good_model(monkeypatch: pytest.MonkeyPatch) -> None:
    config = replace(SMOKE, adam_steps=50, lbfgs_steps=40, log_every=25)
    calls = {"n": 0}
    real_step = torch.optim.LBFGS.step

    def poisoned(self, closure):  # the third chunk writes NaN into the weights
        calls["n"] += 1
        out = real_step(self, closure)
        if calls["n"] == 3:
            with torch.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        p.fill_(float("nan"))
        return out

    monkeypatch.setattr(torch.optim.LBFGS, "step", poisoned)
    result = train(config)
    assert "diverged" in result.warning and "last good weights" in result.warning
    assert torch.isfinite(torch.as_tensor(result.prediction)).all()
    assert result.rel_l2 < 1.0
    assert result.lbfgs_iterations >= loop.LBFGS_CHUNK * 2
