"""The background job: Stop ends training after an epoch; a finished run exports and resumes."""

from __future__ import annotations

import json

from gpulab.workloads.graph_reasoning import (
    TrainingJob,
    checkpoint_test,
    history_csv,
    results_json,
    run_suite,
)


def test_stop_ends_a_background_run_and_train_again_resumes(tiny) -> None:
    config = tiny.with_changes(domains=("causal",), models=("flat-rgcn",), epochs=30)
    job = TrainingJob(config).start()
    while not job.live_rows and not job.finished:
        job.wait(0.05)
    job.stop()
    assert job.wait(60) and job.error is None
    assert job.result.stopped and len(job.result.runs[0].history) < 30
    done = len(job.result.runs[0].history)
    again = run_suite(config.with_changes(epochs=done + 1))
    assert again.runs[0].resumed_from == done and len(again.runs[0].history) == done + 1


def test_exports_and_checkpoint_check(tiny) -> None:
    config = tiny.with_changes(domains=("planning",), models=("hierarchical-rgcn",), epochs=2)
    result = run_suite(config)
    data = json.loads(results_json(result))
    assert data["runs"][0]["test"]["confusion"] and data["config"]["epochs"] == 2
    assert history_csv(result).splitlines()[0].startswith("run,domain,model,seed,epoch")
    assert len(history_csv(result).splitlines()) == 3
    line = checkpoint_test(config, "planning-hierarchical-rgcn-s0-e0002.pt")
    assert "verified" in line and "epoch 2" in line
