"""Memory savers are chosen from free memory, fewest first; a batch that cannot fit says so."""

from __future__ import annotations

from gpulab.workloads.diffusion import plan_memory

GIB = 2**30


def test_plenty_of_memory_needs_no_savers() -> None:
    plan = plan_memory(1, 512, 512, free_bytes=80 * GIB)
    assert plan.fits and plan.savers == () and "none needed" in plan.describe()


def test_savers_grow_as_memory_shrinks() -> None:
    chosen = [plan_memory(8, 512, 512, free_bytes=g * GIB).savers for g in (80, 24, 8, 4)]
    assert [len(s) for s in chosen] == sorted(len(s) for s in chosen)
    assert chosen[0] == () and "vae_slicing" in chosen[-1]


def test_estimate_grows_with_batch_and_pixels() -> None:
    small = plan_memory(1, 512, 512, free_bytes=80 * GIB).estimate_bytes
    assert plan_memory(4, 512, 512, free_bytes=80 * GIB).estimate_bytes > small
    assert plan_memory(1, 1024, 1024, free_bytes=80 * GIB).estimate_bytes > small


def test_a_batch_too_large_names_the_largest_that_fits() -> None:
    plan = plan_memory(64, 1024, 1024, free_bytes=8 * GIB)
    assert not plan.fits
    text = plan.describe()
    assert "Batch 64 does not fit" in text and "Lower the batch to" in text
    largest = int(text.split("Lower the batch to ")[1].split()[0])
    assert plan_memory(largest, 1024, 1024, free_bytes=8 * GIB).fits
    assert not plan_memory(largest + 1, 1024, 1024, free_bytes=8 * GIB).fits


def test_nothing_fits_a_tiny_card() -> None:
    plan = plan_memory(1, 512, 512, free_bytes=0.5 * GIB)
    assert not plan.fits and "Even one image" in plan.describe()
