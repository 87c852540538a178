"""The training loop: Adam (with the chosen switches), then full-batch L-BFGS (torch's, or our
dense self-scaled BFGS with `optimizer="ssbfgs"`) with a strong Wolfe line search, under a
wall-time budget. A non-finite step restores the last good weights and ends training with a
warning, so a diverged run still leaves a model."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from gpulab.errors import UsageError
from gpulab.workloads.pinn import data
from gpulab.workloads.pinn.config import PinnConfig
from gpulab.workloads.pinn.losses import balanced_weights, term_losses
from gpulab.workloads.pinn.model import PinnNet
from gpulab.workloads.pinn.problems import problem_for
from gpulab.workloads.pinn.quasi_newton import SelfScaledBFGS

Progress = Callable[[float, float, str], None]
LBFGS_CHUNK = 5  # L-BFGS iterations per optimizer.step call: the budget is checked between
QN_LOG_EVERY = 20  # self-scaled BFGS iterations between log points
RESAMPLE_CANDIDATES = 10  # candidates per added point


@dataclass
class LogPoint:
    step: int
    phase: str
    seconds: float
    loss: float
    terms: dict[str, float]
    rel_l2: float


@dataclass
class TrainResult:
    config: PinnConfig
    device: str
    history: list[LogPoint]
    rel_l2: float
    seconds: float
    adam_steps: int
    lbfgs_iterations: int
    grid: tuple[np.ndarray, np.ndarray]
    prediction: np.ndarray  # shape (len(second axis), len(first axis))
    exact: np.ndarray
    collocation: int
    stopped: str = ""
    warning: str = ""
    weights: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "pde": self.config.pde,
            "switches": list(self.config.switches()),
            "dtype": self.config.dtype,
            "rel_l2": self.rel_l2,
            "seconds": self.seconds,
            "adam_steps": self.adam_steps,
            "optimizer": self.config.optimizer,
            "lbfgs_iterations": self.lbfgs_iterations,
            "collocation": self.collocation,
            "stopped": self.stopped,
            "warning": self.warning,
            "device": self.device,
        }


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


BYTES_PER_ACTIVATION = 40  # autograd keeps ~5 tensors a unit for second derivatives, fp64


def _check_memory(config: PinnConfig, device: torch.device) -> None:
    """Refuse a collocation set whose autograd graph cannot fit the GPU memory this process may
    use (`memory_budget.free_and_total`, which honours GPULAB_MEMORY_BUDGET)."""
    if device.type != "cuda":
        return
    from gpulab import memory_budget

    free, _ = memory_budget.free_and_total(device)
    points = _peak_points(config)
    need = memory_need(config)
    if need > free:
        raise UsageError(
            f"{points:,} collocation points at {config.depth} x {config.width} with "
            f"{config.optimizer_label} need about {need / 2**30:.1f} GiB of GPU memory and "
            f"{free / 2**30:.1f} GiB are free: lower n_f or the network's size"
        )


def memory_need(config: PinnConfig) -> int:
    """Bytes a run holds at its peak: the autograd graph over the largest collocation set and,
    for self-scaled BFGS, the dense inverse Hessian with the update's two n x n temporaries."""
    graph = _peak_points(config) * config.width * config.depth * BYTES_PER_ACTIVATION * 3
    n = config.parameter_count()
    return graph + (3 * n * n * 8 if config.optimizer == "ssbfgs" else 0)


def _peak_points(config: PinnConfig) -> int:
    """The collocation set's size after the last resampling round."""
    points = config.n_f + (_rounds(config) * config.resample_add if config.resample else 0)
    if config.resample and config.resample_max:
        points = min(points, max(config.n_f, config.resample_max))
    return points


def _rounds(config: PinnConfig) -> int:
    """How many times resampling may add points: during Adam, after it, between L-BFGS rounds."""
    adam = config.adam_steps // config.resample_every + (1 if config.adam_steps else 0)
    every = config.resample_lbfgs_every
    return adam + (config.lbfgs_steps // every if every else 0)


class Trainer:
    """One run's state: the network, its points, the term weights and the evaluation grid."""

    def __init__(self, config: PinnConfig, gen: torch.Generator) -> None:
        config.validate()
        self.config, self.gen = config, gen
        self.device = pick_device(config.device)
        self.kw = {"dtype": getattr(torch, config.dtype), "device": self.device}
        self.problem = problem_for(config)
        _check_memory(config, self.device)
        self.net = PinnNet(config, self.problem, gen).to(**self.kw)
        self.points = data.latin_hypercube(config.n_f, self.problem, gen, **self.kw)
        # hard constraints build the data into the network: no condition terms remain
        self.conds = (
            [] if config.hard else data.conditions(self.problem, config.n_u, gen, **self.kw)
        )
        xs, ts = self.problem.grid()
        self.grid = (xs, ts)
        mx, mt = np.meshgrid(xs, ts)
        self.exact = self.problem.exact(mx, mt)
        self.grid_points = torch.as_tensor(np.stack([mx.ravel(), mt.ravel()], 1)).to(**self.kw)
        self.weights: dict[str, float] = {}
        self.causal = (config.causal_bins, config.causal_eps) if config.causal else None

    def loss(self, causal: bool) -> tuple[torch.Tensor, dict, dict]:
        train, shown = term_losses(
            self.net, self.problem, self.points, self.conds, self.causal if causal else None
        )
        total = sum(self.weights.get(k, 1.0) * v for k, v in train.items())
        return total, train, shown

    def prediction(self) -> np.ndarray:
        with torch.no_grad():
            u = self.net(self.grid_points).double().cpu().numpy()
        return u.reshape(self.exact.shape)

    def rel_l2(self) -> float:
        diff = self.prediction() - self.exact
        return float(np.linalg.norm(diff) / np.linalg.norm(self.exact))

    def resample(self) -> None:
        """Add the `resample_add` candidates with the largest |residual| (Lu et al. 2021), up
        to `resample_max` points in all (0: no cap)."""
        n = self.config.resample_add
        if self.config.resample_max:
            n = min(n, self.config.resample_max - len(self.points))
        if n <= 0:
            return
        cand = data.uniform(n * RESAMPLE_CANDIDATES, self.problem, self.gen, **self.kw)
        r = self.problem.residual(self.net, cand).detach().abs().squeeze(1)
        top = torch.topk(r, min(n, len(r))).indices
        self.points = torch.cat([self.points, cand[top].detach()])


def _log(
    trainer: Trainer,
    history: list,
    step: int,
    phase: str,
    start: float,
    shown: dict,
    total: torch.Tensor,
    on_log: Callable | None,
) -> None:
    if trainer.device.type == "cuda":
        torch.cuda.synchronize(trainer.device)
    point = LogPoint(
        step,
        phase,
        time.perf_counter() - start,
        float(total),
        {k: float(v.detach()) for k, v in shown.items()},
        trainer.rel_l2(),
    )
    history.append(point)
    if on_log is not None:
        on_log(point)


def _adam(trainer: Trainer, history: list, start: float, report: Callable, on_log) -> int:
    cfg = trainer.config
    opt = torch.optim.Adam(trainer.net.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1 ** (1 / max(cfg.adam_steps, 1)))
    step = 0
    for step in range(1, cfg.adam_steps + 1):
        total, train, shown = trainer.loss(causal=True)
        if cfg.balance and (step == 1 or step % cfg.balance_every == 0):
            trainer.weights = balanced_weights(trainer.net, train, trainer.weights)
            total = sum(trainer.weights.get(k, 1.0) * v for k, v in train.items())
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        sched.step()
        if cfg.resample and step % cfg.resample_every == 0:
            trainer.resample()
        if step % cfg.log_every == 0 or step == cfg.adam_steps:
            _log(trainer, history, step, "adam", start, shown, total.detach(), on_log)
            if not math.isfinite(history[-1].loss):
                raise FloatingPointError(f"Adam diverged at step {step} (loss {history[-1].loss})")
            report(step, f"Adam step {step}/{cfg.adam_steps}")
        if report.over():
            break
    return step


def _lbfgs(
    trainer: Trainer, history: list, start: float, done: int, report, on_log
) -> tuple[int, str]:
    """L-BFGS in rounds of `resample_lbfgs_every` iterations with the resample switch (points
    added where the residual is largest between rounds, each round with a fresh history, as
    the loss has changed), else one round."""
    cfg = trainer.config
    if cfg.optimizer == "ssbfgs":
        return _ssbfgs(trainer, history, start, done, report, on_log)
    every = cfg.resample_lbfgs_every if cfg.resample else 0
    iters = 0
    while iters < cfg.lbfgs_steps:
        n = cfg.lbfgs_steps - iters
        ran, warning = _lbfgs_round(
            trainer, history, start, done + iters, min(n, every or n), report, on_log
        )
        iters += ran
        if warning or report.over() or not every or ran == 0:
            return iters, warning
        if iters < cfg.lbfgs_steps:
            trainer.resample()
    return iters, ""


def _finite(net: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in net.parameters())


def _lbfgs_round(
    trainer: Trainer, history: list, start: float, done: int, steps: int, report, on_log
) -> tuple[int, str]:
    """Up to `steps` iterations in chunks of LBFGS_CHUNK (the budget is checked between).

    Each chunk's first loss is that of the weights the last chunk left, so it vouches for
    them without an extra evaluation; weights that go non-finite are replaced by the last
    vouched-for ones and the round ends with a warning.
    """
    params = list(trainer.net.parameters())
    opt = torch.optim.LBFGS(
        params,
        lr=1.0,
        max_iter=LBFGS_CHUNK,
        history_size=trainer.config.lbfgs_history,
        tolerance_grad=1e-12,
        tolerance_change=1e-15,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        total, _, _ = trainer.loss(causal=False)
        total.backward()
        return total.detach()

    def diverged(value: float, at: int) -> tuple[int, str]:
        trainer.net.load_state_dict(good)
        return (
            at,
            f"L-BFGS diverged to {value} at step {done + at}: the last good weights are kept",
        )

    iters, logged = 0, 0
    good, pending = copy.deepcopy(trainer.net.state_dict()), None
    while iters < steps:
        opt.param_groups[0]["max_iter"] = min(LBFGS_CHUNK, steps - iters)
        first = float(opt.step(closure))
        if not math.isfinite(first):
            return diverged(first, iters)
        good = pending or good
        now = opt.state[params[0]].get("n_iter", 0)
        advanced, iters = now - iters, now
        if not _finite(trainer.net):
            return diverged(float("nan"), iters)
        pending = copy.deepcopy(trainer.net.state_dict())
        last = iters >= steps or report.over() or advanced < 1
        if iters - logged >= LBFGS_CHUNK * 4 or last:
            logged = iters
            total, _, shown = trainer.loss(causal=False)
            if not math.isfinite(float(total.detach())):
                return diverged(float(total), iters)
            good = pending
            _log(trainer, history, done + iters, "lbfgs", start, shown, total.detach(), on_log)
            report(done + iters, f"L-BFGS iteration {done + iters}")
        if last:
            break
    return iters, ""


def _objective(trainer: Trainer) -> Callable[[torch.Tensor], tuple[float, torch.Tensor]]:
    """The loss and its gradient at a flat parameter vector (written into the network)."""
    params = list(trainer.net.parameters())

    def fun(x: torch.Tensor) -> tuple[float, torch.Tensor]:
        _set(params, x)
        total, _, _ = trainer.loss(causal=False)
        grads = torch.autograd.grad(total, params)
        return float(total.detach()), torch.cat([g.reshape(-1) for g in grads])

    return fun


def _ssbfgs(
    trainer: Trainer, history: list, start: float, done: int, report, on_log
) -> tuple[int, str]:
    """Dense self-scaled BFGS, one iteration at a time (the budget is checked between). With
    resample, points are added every `resample_lbfgs_every` iterations; H is kept across them
    (the loss moves a little, a fresh H would relearn the curvature from scratch)."""
    cfg = trainer.config
    params = list(trainer.net.parameters())
    every = cfg.resample_lbfgs_every if cfg.resample else 0
    fun = _objective(trainer)
    opt = SelfScaledBFGS(fun, torch.nn.utils.parameters_to_vector(params))
    warning = ""
    while opt.iterations < cfg.lbfgs_steps and not report.over():
        if not opt.step():
            break
        n = opt.iterations
        if n % QN_LOG_EVERY == 0 or n == cfg.lbfgs_steps:
            _log_at(trainer, opt.x, history, done + n, start, on_log)
            report(done + n, f"SSBFGS iteration {done + n}")
        if every and n % every == 0 and n < cfg.lbfgs_steps:
            _set(params, opt.x)
            trainer.resample()
            opt.refresh()
    if opt.diverged:
        warning = f"SSBFGS stopped at step {done + opt.iterations}: {opt.stopped}"
    elif opt.stopped and not report.why:
        report.why = f"SSBFGS stopped: {opt.stopped}"  # converged or stalled, said as such
    _set(params, opt.x)  # the last accepted (finite) point, not the line search's last trial
    if not history or history[-1].step != done + opt.iterations:
        _log_at(trainer, opt.x, history, done + opt.iterations, start, on_log)
    return opt.iterations, warning


def _set(params: list[torch.Tensor], x: torch.Tensor) -> None:
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(x, params)


def _log_at(
    trainer: Trainer, x: torch.Tensor, history: list, step: int, start: float, on_log
) -> None:
    _set(list(trainer.net.parameters()), x)
    total, _, shown = trainer.loss(causal=False)
    _log(trainer, history, step, "ssbfgs", start, shown, total.detach(), on_log)


class _Reporter:
    """The progress bar (work done or budget spent, whichever is further) and the budget."""

    def __init__(self, config: PinnConfig, start: float, progress: Progress | None) -> None:
        self.config, self.start, self.progress, self.why = config, start, progress, ""
        self.total = config.adam_steps + config.lbfgs_steps

    def over(self) -> bool:
        budget = self.config.budget_s
        if budget and time.perf_counter() - self.start >= budget:
            self.why = f"wall-time budget of {budget:g} s reached"
        return bool(self.why)

    def __call__(self, done: int, note: str) -> None:
        frac = done / self.total
        if self.config.budget_s:
            frac = max(frac, (time.perf_counter() - self.start) / self.config.budget_s)
        if self.progress is not None:
            self.progress(min(frac, 1.0) * 1000, 1000, note)


def train(
    config: PinnConfig,
    progress: Progress | None = None,
    on_log: Callable | None = None,
    gen: torch.Generator | None = None,
) -> TrainResult:
    """Train one PINN; the progress bar counts Adam steps plus L-BFGS iterations (or the
    budget's seconds, whichever runs out first)."""
    gen = gen or torch.Generator().manual_seed(config.seed)
    threads = torch.get_num_threads()
    try:
        # A net this small runs fastest on one CPU thread (more only contend).
        torch.set_num_threads(1)
        return _train(config, gen, progress, on_log)
    finally:
        torch.set_num_threads(threads)


def _train(config: PinnConfig, gen: torch.Generator, progress, on_log) -> TrainResult:
    trainer = Trainer(config, gen)
    history: list[LogPoint] = []
    start = time.perf_counter()
    report = _Reporter(config, start, progress)

    adam = _adam(trainer, history, start, report, on_log) if config.adam_steps else 0
    if config.resample and adam:
        trainer.resample()
    iters, warning = 0, ""
    if config.lbfgs_steps and not report.over():
        iters, warning = _lbfgs(trainer, history, start, adam, report, on_log)
    seconds = time.perf_counter() - start
    return TrainResult(
        config,
        str(trainer.device),
        history,
        trainer.rel_l2(),
        seconds,
        adam,
        iters,
        trainer.grid,
        trainer.prediction(),
        trainer.exact,
        len(trainer.points),
        stopped=report.why,
        warning=warning,
        weights=dict(trainer.weights),
    )
