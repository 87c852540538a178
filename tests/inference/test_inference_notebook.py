"""The notebook's run step: bad settings are a clear error, and the last good results stay shown."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from gpulab.workloads.inference import LadderResult

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "inference_optimization.py"
EMPTY = {"model": "resnet-tiny", "rungs": ()}  # every rung unticked


def run_notebook(monkeypatch: pytest.MonkeyPatch, **defs: Any) -> tuple[str, dict[str, Any]]:
    """Run the notebook as a script with `defs` in place of the cells defining them."""
    monkeypatch.setenv("GPULAB_PROFILE", "smoke")
    spec = importlib.util.spec_from_file_location("inference_optimization_nb", NOTEBOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outputs, names = module.app.run(defs=defs)
    html = "\n".join(str(getattr(o, "text", o)) for o in outputs if o is not None)
    return html, dict(names)


def test_no_rungs_chosen_is_a_clear_error_not_an_empty_result(monkeypatch) -> None:
    html, names = run_notebook(monkeypatch, ladder_settings=EMPTY)
    assert "Cannot run the ladder: invalid settings" in html
    assert "no rungs chosen" in html
    assert names["ladder"] is None  # nothing measured, so no result is drawn
    assert "0 rungs measured" not in html


def test_a_failed_run_keeps_the_last_good_results_below_its_error(
    monkeypatch, noisy_ladder: LadderResult
) -> None:
    kept = noisy_ladder
    stored: list[Any] = []
    html, names = run_notebook(
        monkeypatch, ladder_settings=EMPTY, get_ladder=lambda: kept, set_ladder=stored.append
    )
    assert stored == []  # the failed run did not replace the kept results
    assert "Cannot run the ladder: invalid settings" in html
    assert "still those of the last run that finished" in html
    assert names["ladder"] is kept
    assert "Results: tiny ResNet (smoke)" in html
    assert "(noisy)" in html and "Noisy timings" in html  # the kept results keep their flags
