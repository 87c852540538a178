"""A level is shared between the client's worker processes without losing or inventing load."""

from __future__ import annotations

import pytest

from gpulab.workloads.serving.load_workers import split


@pytest.mark.parametrize("level, workers", [(1, 4), (6, 4), (64, 4), (7, 3), (2, 1)])
def test_closed_loop_concurrency_is_shared_exactly(level: int, workers: int) -> None:
    shares = split(level, 1000, workers, "closed")
    assert sum(s for s, _ in shares) == level
    assert len(shares) == min(level, workers)  # a worker with nothing in flight stays idle
    assert max(s for s, _ in shares) - min(s for s, _ in shares) <= 1
    assert abs(sum(n for _, n in shares) - 1000) <= workers


def test_open_loop_rate_is_shared_evenly() -> None:
    shares = split(1000.0, 200, 4, "open")
    assert [s for s, _ in shares] == [250.0] * 4
    assert [n for _, n in shares] == [50] * 4
