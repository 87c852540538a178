"""The real Triton server on the CPU: answers equal a direct forward pass, a raising model fails
alone, the load test measures, a port in use is refused and no server outlives its run."""

from __future__ import annotations

import socket
from dataclasses import replace

import numpy as np
import pytest

from gpulab.errors import UsageError
from gpulab.workloads.serving import (
    BERT,
    MLP,
    RESNET,
    Server,
    ServerEnv,
    ServingConfig,
    faulty_model,
    kill_during_load,
    run_suite,
    start_server,
)
from gpulab.workloads.serving.checks import compare, direct_outputs
from gpulab.workloads.serving.loadtest import measure, served_outputs

from .conftest import pid_running


@pytest.mark.parametrize("name", [MLP, RESNET, BERT])
def test_served_outputs_equal_a_direct_forward_pass(
    server: Server, small_config: ServingConfig, name: str
) -> None:
    served = served_outputs(small_config, server, name)
    direct = direct_outputs(small_config, name)
    assert served.shape == direct.shape == (small_config.check_count, direct.shape[1])
    np.testing.assert_allclose(served, direct, atol=1e-4, rtol=1e-4)
    assert compare(small_config, name, served).passed


def test_compare_fails_empty_and_wrong_answers(small_config: ServingConfig) -> None:
    direct = direct_outputs(small_config, MLP)
    assert not compare(small_config, MLP, direct[:0]).passed  # numpy 2's silent empty outputs
    assert not compare(small_config, MLP, direct + 0.1).passed
    assert compare(small_config, MLP, direct).passed


def test_a_raising_model_fails_alone(server: Server, small_config: ServingConfig) -> None:
    row = faulty_model(small_config, server)
    assert "the faulty model raises" in row.client_error
    assert row.still_serving and server.child.alive


def test_closed_and_open_loops_measure(server: Server, small_config: ServingConfig) -> None:
    closed = measure(small_config, server, MLP, lambda _: None, modes=("closed",))
    assert [r.level for r in closed] == [1, 4]
    for row in closed:
        assert row.ok > 0 and row.errors == 0 and row.sent <= small_config.requests_per_level
        assert 0 < row.p50_ms <= row.p95_ms <= row.p99_ms
        assert row.seconds < small_config.seconds_per_level + 5  # bounded in time
    (open_row,) = measure(small_config, server, MLP + "_nobatch", lambda _: None, ("open",))
    assert not open_row.batching and open_row.mode == "open" and open_row.ok == 20


def test_worker_processes_share_a_level_and_the_server_counts_it(
    server: Server, small_config: ServingConfig
) -> None:
    config = replace(small_config, client_processes=2, concurrency=(4,), requests_per_level=40)
    (row,) = measure(config, server, MLP, lambda _: None, modes=("closed",))
    assert row.errors == 0 and 0 < row.ok <= 40
    # the server's statistics cover the level: every request ran in some batch of 1..4
    assert 1.0 <= row.server_batch_mean <= 4.0
    assert row.server_queue_ms >= 0 and row.server_compute_ms > 0
    assert row.server_queue_ms + row.server_compute_ms < row.p50_ms * 4


def test_a_port_in_use_is_a_clear_error(server_env: ServerEnv, small_config: ServingConfig):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = replace(small_config, port=port)
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is in use"):
            start_server(config, server_env)


def test_suite_runs_checks_and_leaves_no_server(
    server_env: ServerEnv, small_config: ServingConfig
) -> None:
    config = replace(small_config, models=(MLP,), rates=())
    rows = []
    result = run_suite(config, server_env, on_row=rows.append)
    assert [c.passed for c in result.checks] == [True]
    assert len(rows) == len(result.rows) == 4  # batching on and off x two concurrencies
    assert {r.batching for r in rows} == {True, False}
    assert result.server_gone and not pid_running(result.server_pid)


def test_killed_server_gives_client_errors(server_env: ServerEnv, small_config: ServingConfig):
    config = replace(small_config, models=(MLP,), concurrency=(4,))
    row = kill_during_load(config, server_env, after_s=1.0)
    assert row.fault == "server killed mid-load"
    assert row.client_error and not row.still_serving
