"""The server environment (built once, cached: CI has PyPI) and one small server per module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from gpulab.workloads.serving import (
    BERT,
    MLP,
    RESNET,
    Server,
    ServerEnv,
    ServingConfig,
    ensure_env,
    start_server,
)


@pytest.fixture(scope="session")
def server_env() -> ServerEnv:
    return ensure_env()


@pytest.fixture(scope="session")
def small_config() -> ServingConfig:
    """Tiny ResNet-50, BERT and MLP on the CPU, short bounded levels."""
    base = ServingConfig.for_profile("smoke")
    return replace(
        base,
        models=(MLP, RESNET, BERT),
        concurrency=(1, 4),
        rates=(20.0,),
        requests_per_level=20,
        seconds_per_level=1.0,
    )


@pytest.fixture(scope="module")
def server(server_env: ServerEnv, small_config: ServingConfig) -> Iterator[Server]:
    running = start_server(small_config, server_env)
    yield running
    running.stop()


def pid_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
