import gc
import weakref

import pytest
import torch

from gpulab.memory import (
    GpuOutOfMemory,
    find_max_batch,
    oom_guard,
    parse_requested_bytes,
    suggest_batch_size,
)

TORCH_OOM = (
    "CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 79.10 GiB"
)


def test_requested_size_is_parsed_from_torch_message() -> None:
    assert parse_requested_bytes(TORCH_OOM) == int(2.5 * 2**30)
    assert parse_requested_bytes("Tried to allocate 512.00 MiB") == 512 * 2**20
    assert parse_requested_bytes("something else") is None


def test_guard_turns_oom_into_a_structured_error() -> None:
    with pytest.raises(GpuOutOfMemory) as caught, oom_guard(suggestions=["use a smaller batch"]):
        raise torch.cuda.OutOfMemoryError(TORCH_OOM)
    err = caught.value
    assert err.requested_mib == pytest.approx(2560)
    assert err.suggestions == ["use a smaller batch"]
    assert "2.50 GiB" in str(err)
    # Shown without the original chain, and the original holds no frames (no tensors) any more.
    assert err.__suppress_context__
    assert err.__context__ is None or err.__context__.__traceback__ is None


def test_guard_releases_what_the_failed_step_held() -> None:
    held = {}

    def failing_step() -> None:
        activations = torch.ones(1024)
        held["ref"] = weakref.ref(activations)
        raise torch.cuda.OutOfMemoryError(TORCH_OOM)

    with pytest.raises(GpuOutOfMemory), oom_guard():
        failing_step()
    gc.collect()
    assert held["ref"]() is None


def test_failed_step_is_freed_before_the_cache_is_emptied(monkeypatch: pytest.MonkeyPatch) -> None:
    # Emptying the CUDA cache frees nothing while the traceback still holds the step's tensors
    # (seen on the H100: 8 GiB stayed reserved), so observe what is alive when release runs.
    from gpulab import memory

    alive_at_release = []
    held = {}
    monkeypatch.setattr(
        memory, "release_memory", lambda: alive_at_release.append(held["ref"]() is not None)
    )

    def failing_step() -> None:
        activations = torch.ones(1024)
        held["ref"] = weakref.ref(activations)
        raise torch.cuda.OutOfMemoryError(TORCH_OOM)

    with pytest.raises(GpuOutOfMemory), oom_guard():
        failing_step()
    assert alive_at_release == [False]


def test_guard_lets_other_errors_through() -> None:
    with pytest.raises(ValueError, match="bad config"), oom_guard():
        raise ValueError("bad config")


def test_max_batch_is_the_largest_that_fits() -> None:
    capacity = 37

    def try_batch(n: int) -> None:
        if n > capacity:
            raise torch.cuda.OutOfMemoryError(f"Tried to allocate {n} MiB")

    assert find_max_batch(try_batch, start=1, maximum=1024) == capacity
    assert find_max_batch(try_batch, start=1, maximum=20) == 20
    assert find_max_batch(try_batch, start=64, maximum=128) == 0


def test_max_batch_validates_its_range() -> None:
    with pytest.raises(ValueError):
        find_max_batch(lambda n: None, start=0)


def test_suggested_batch_fits_in_the_headroom() -> None:
    assert suggest_batch_size(bytes_per_sample=2**20, free_bytes=100 * 2**20, headroom=0.5) == 50
    assert suggest_batch_size(bytes_per_sample=2**30, free_bytes=2**20) == 1
    assert suggest_batch_size(bytes_per_sample=1, free_bytes=2**40, cap=256) == 256
