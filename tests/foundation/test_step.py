"""`gpu_step`: a failing step becomes a callout and a stopped cell, with its memory released."""

from __future__ import annotations

import gc
import html
import re
import weakref

import marimo as mo
import pytest
import torch
from marimo._runtime.control_flow import MarimoStopError

from gpulab.errors import MissingDependencyError
from gpulab.ui import gpu_step


def _stopped_text(step: gpu_step, error: BaseException) -> str:
    with pytest.raises(MarimoStopError) as stopped, step:
        raise error
    return _plain(stopped.value.output.text)


def _plain(markup: str) -> str:
    """The words a reader sees in a callout's HTML (escaped twice, with tags and code spans)."""
    text = html.unescape(html.unescape(markup)).replace("\\u003c", "<").replace("\\u003e", ">")
    text = re.sub(r"<[^>]*>", "", text.replace("\\n", "\n"))
    return html.unescape(text)


def test_out_of_memory_becomes_the_oom_callout_and_a_stop() -> None:
    step = gpu_step("training", suggestions=["lower the batch size to 8"])
    text = _stopped_text(
        step, torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    )
    assert "Out of GPU memory" in text and "lower the batch size to 8" in text
    assert step.failed is not None and step.failed.requested_mib == 2048


def test_bad_settings_name_the_step_and_the_reason() -> None:
    text = _stopped_text(gpu_step("the sweep"), ValueError("batch size must be >= 1, got 0"))
    assert "Cannot run the sweep: invalid settings" in text
    assert "batch size must be >= 1, got 0" in text


def test_missing_library_shows_its_install_hint() -> None:
    err = MissingDependencyError("cudf", "pip install cudf-cu12", purpose="GPU dataframes")
    text = _stopped_text(gpu_step("loading"), err)
    assert "pip install cudf-cu12" in text


def test_unexpected_error_is_reported_with_its_type() -> None:
    text = _stopped_text(gpu_step("rendering the orbit"), RuntimeError("kernel died"))
    assert "Rendering the orbit failed" in text and "RuntimeError: kernel died" in text


def test_a_deliberate_stop_inside_the_step_passes_through_unchanged() -> None:
    callout = mo.md("needs a GPU")
    with pytest.raises(MarimoStopError) as stopped, gpu_step("training"):
        mo.stop(True, callout)
    assert stopped.value.output is callout


def test_success_runs_the_block_and_records_no_failure() -> None:
    with gpu_step("adding") as step:
        total = 1 + 1
    assert total == 2 and step.failed is None


def test_the_failed_steps_tensors_are_freed() -> None:
    def work() -> None:
        activations = torch.ones(1024)
        alive.append(weakref.ref(activations))
        raise RuntimeError("failed after allocating")

    alive: list[weakref.ref[torch.Tensor]] = []
    with pytest.raises(MarimoStopError), gpu_step("the step"):
        work()
    gc.collect()
    assert alive[0]() is None


def test_a_failed_step_can_say_the_results_below_are_kept() -> None:
    text = _stopped_text(gpu_step("the sweep", results_kept=True), ValueError("no sizes chosen"))
    assert "no sizes chosen" in text
    assert "still those of the last run that finished" in text
