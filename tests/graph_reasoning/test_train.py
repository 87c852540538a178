"""Training: every domain trains on the CPU; resume reproduces the uninterrupted curve; stop works."""

from __future__ import annotations

from dataclasses import replace

from gpulab.workloads.graph_reasoning import (
    DOMAINS,
    HIERARCHICAL,
    MLP,
    CheckpointStore,
    RunContext,
    train_run,
)
from gpulab.workloads.graph_reasoning.data import build_domain


def test_each_domain_trains_and_learns_something(tiny) -> None:
    config = tiny.with_changes(graphs_per_domain=100, epochs=6, hidden=16)
    for domain in DOMAINS:
        data = build_domain(domain, config.graphs_per_domain)
        run = train_run(data, HIERARCHICAL, 0, config, "cpu", RunContext())
        losses = [row["train_total_loss"] for row in run.history]
        assert len(losses) == 6 and losses[-1] < losses[0], (domain, losses)
        assert run.test is not None and sum(run.test.histogram) == len(data.test)


def test_resume_continues_the_same_loss_curve(tiny) -> None:
    data = build_domain("causal", tiny.graphs_per_domain)
    straight = train_run(data, HIERARCHICAL, 7, tiny, "cpu", RunContext())
    store = CheckpointStore(tiny.checkpoint_dir)
    ctx = RunContext(store=store)
    first = train_run(data, HIERARCHICAL, 7, tiny, "cpu", ctx, stop_after=2)
    assert len(first.history) == 2
    resumed = train_run(data, HIERARCHICAL, 7, tiny, "cpu", ctx)
    assert resumed.resumed_from == 2
    keys = ("train_total_loss", "val_loss", "val_acc")
    assert [[r[k] for k in keys] for r in resumed.history] == [
        [r[k] for k in keys] for r in straight.history
    ]


def test_stop_flag_ends_after_the_current_epoch(tiny) -> None:
    data = build_domain("planning", tiny.graphs_per_domain)
    seen = []
    ctx = RunContext(on_epoch=seen.append, should_stop=lambda: len(seen) >= 1)
    run = train_run(data, MLP, 0, replace(tiny, epochs=5), "cpu", ctx)
    assert run.stopped and len(run.history) == 1 and seen[0]["epoch"] == 1
