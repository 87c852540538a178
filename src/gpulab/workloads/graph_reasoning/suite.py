"""The whole run: every domain x model x seed trained, tested, compared across seeds and domains.

Work is counted in graph-epochs (training graphs x epochs), so the progress bar moves at about the
same rate for every run. A stop request ends the current run after its epoch; what finished is
kept, and the next run resumes the stopped one from its checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from gpulab.progress import ProgressFn, no_progress

from .checkpoints import CheckpointStore
from .config import HIERARCHICAL, MODELS, SPLIT, ReasoningConfig
from .stats import mean_ci, separated
from .train import EpochFn, RunContext, RunResult, train_run


def resolve_device(choice: str) -> str:
    """ "auto" -> "cuda" where torch sees a GPU, else "cpu"; an explicit choice is kept."""
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice.startswith("cuda") and not torch.cuda.is_available():
        from gpulab.errors import UsageError

        raise UsageError(f"device {choice!r} asked for, but torch sees no CUDA GPU; choose cpu")
    return choice


MIN_GPU_BYTES = 1 << 30


@contextmanager
def cpu_threads(device: str, threads: int = 1) -> Iterator[None]:
    """One torch thread on the CPU while training: these graphs are a few dozen nodes, so
    intra-op threads cost more in hand-offs than they save (and a shared CPU makes it worse)."""
    import torch

    if device != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def planned_work(config: ReasoningConfig) -> float:
    """Graph-epochs the run will train (resumed epochs are counted as done when skipped)."""
    return float(config.total_runs * config.epochs * int(SPLIT[0] * config.graphs_per_domain))


@dataclass
class SuiteResult:
    """Every run's result, the datasets' balance, the cross-domain table."""

    config: ReasoningConfig
    device: str
    runs: list[RunResult] = field(default_factory=list)
    balance: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, Any] = field(default_factory=dict)
    cross_domain: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False
    seconds: float = 0.0

    def runs_of(self, domain: str, model: str) -> list[RunResult]:
        return [r for r in self.runs if r.domain == domain and r.model == model and r.test]

    def summary(self) -> list[dict[str, Any]]:
        """Per domain and model: mean test accuracy over seeds with its 95 % interval."""
        rows = []
        for domain in self.config.domains:
            for model in self.config.models:
                runs = [r for r in self.runs_of(domain, model) if not r.stopped]
                if runs:
                    mean, half = mean_ci([r.test.accuracy for r in runs])
                    rows.append(
                        {
                            "domain": domain,
                            "model": model,
                            "seeds": len(runs),
                            "mean": mean,
                            "ci95": half,
                        }
                    )
        return rows

    def verdicts(self) -> list[dict[str, Any]]:
        """Per domain: ours against the best baseline, and whether the intervals separate."""
        by = {(r["domain"], r["model"]): (r["mean"], r["ci95"]) for r in self.summary()}
        out = []
        for domain in self.config.domains:
            ours = by.get((domain, HIERARCHICAL))
            rivals = {m: by[(domain, m)] for m in MODELS if m != HIERARCHICAL and (domain, m) in by}
            if ours is None or not rivals:
                continue
            best = max(rivals, key=lambda m: rivals[m][0])
            out.append(
                {
                    "domain": domain,
                    "ours": ours,
                    "best_baseline": best,
                    "baseline": rivals[best],
                    "ratio": ours[0] / rivals[best][0],
                    "separated": all(separated(ours, v) for v in rivals.values()),
                }
            )
        return out


def _cross_domain(result: SuiteResult, data: dict[str, Any], device: str) -> list[dict[str, Any]]:
    """Each first-seed model trained on one domain, tested on every domain's test split."""
    from .evaluate import evaluate

    seed = result.config.seeds[0]
    rows = []
    for run in result.runs:
        if run.seed != seed or run.stopped or run.state is None:
            continue
        row = {"trained on": run.domain, "model": run.model}
        for domain, domain_data in data.items():
            row[domain] = evaluate(run.state, domain_data.test, device).accuracy
        rows.append(row)
    return rows


def run_suite(
    config: ReasoningConfig,
    progress: ProgressFn = no_progress,
    on_epoch: EpochFn | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    resume: bool = True,
) -> SuiteResult:
    """Train and test every run of `config`; stop early when `should_stop()` turns true."""
    from .data import build_domain

    config.validate()
    device = resolve_device(config.device)
    if device.startswith("cuda"):  # a dozen nodes a graph: well under 1 GiB at batch 256
        from gpulab import memory_budget

        memory_budget.require(MIN_GPU_BYTES, "graph-reasoning training", device)
    started = time.perf_counter()
    store = CheckpointStore(config.checkpoint_dir)
    result = SuiteResult(config, device)
    ctx = RunContext(progress, on_epoch, should_stop, store, resume, 0.0, planned_work(config))
    data = {}
    for domain in config.domains:
        data[domain] = build_domain(domain, config.graphs_per_domain, seed=0)
        result.balance[domain] = data[domain].balance()
        result.examples[domain] = data[domain].instances[0]
    with cpu_threads(device):
        _train_all(config, data, result, ctx, device)
    if config.cross_domain and not result.stopped:
        result.cross_domain = _cross_domain(result, data, device)
    result.seconds = time.perf_counter() - started
    return result


def _train_all(
    config: ReasoningConfig,
    data: dict[str, Any],
    result: SuiteResult,
    ctx: RunContext,
    device: str,
) -> None:
    """Every domain x model x seed in order, until done or asked to stop."""
    per_run = config.epochs * len(data[config.domains[0]].train)
    for domain in config.domains:
        for model in config.models:
            for seed in config.seeds:
                run = train_run(data[domain], model, seed, config, device, ctx)
                result.runs.append(run)
                ctx.done_before += per_run
                if run.stopped or ctx.should_stop():
                    result.stopped = True
                    return
