"""Set-up objects are frozen, so a full collection under load walks only what requests made."""

from __future__ import annotations

import gc
import time

import pytest

from gpulab.workloads.serving import RESNET, ModelShape, models
from gpulab.workloads.serving.collector import freeze_setup_objects


@pytest.fixture
def unfrozen_afterwards():
    yield
    gc.unfreeze()


def test_freezing_takes_the_set_up_out_of_full_collections(unfrozen_afterwards) -> None:
    gc.unfreeze()
    model = models.build(ModelShape(RESNET), 0, "float32", "cpu")
    tracked = len(gc.get_objects())
    start = time.perf_counter()
    gc.collect()
    before = time.perf_counter() - start

    frozen = freeze_setup_objects()
    start = time.perf_counter()
    gc.collect()
    after = time.perf_counter() - start

    assert frozen > 0.9 * tracked and len(gc.get_objects()) < 0.01 * tracked
    assert after < before / 10, (before, after)
    assert model is not None


def test_the_server_freezes_once_its_models_are_bound(server) -> None:  # noqa: ANN001
    # the models answer ready as soon as they are bound; the freeze follows within seconds
    deadline = time.monotonic() + 60
    while "objects frozen, serving" not in (log := "\n".join(server.child.lines)):
        assert time.monotonic() < deadline, log[-2000:]
        time.sleep(0.2)
