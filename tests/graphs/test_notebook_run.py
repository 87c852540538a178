"""notebooks/graph_analytics.py's run path, headless (`app.run()` under the smoke profile): the
default run fills the results; a bad choice (an empty graph, nothing chosen, a size that does
not fit) shows a clear callout above the last good results, which stay; directed input is said."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gpulab.qa.runner.child import html_to_text
from gpulab.workloads.graphs import EDGE_LIST, OURS, GraphConfig, SuiteResult

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "graph_analytics.py"
KEPT = "The results below are still those of the last run that finished."


def _text(outputs: Any) -> str:
    """Every cell's visible output as text, in cell order."""
    parts = []
    for output in outputs:
        html = getattr(output, "text", None)
        if output is not None:
            parts.append(html_to_text(html) if isinstance(html, str) else str(output))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def notebook() -> Any:
    spec = importlib.util.spec_from_file_location("graph_analytics_notebook", NOTEBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@pytest.fixture(scope="module")
def first_run(notebook: Any) -> tuple[str, dict[str, Any]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPULAB_PROFILE", "smoke")
        patch.setattr(sys, "argv", [str(NOTEBOOK)])  # no notebook arguments, as a user opens it
        outputs, defs = notebook.run()
    return _text(outputs), dict(defs)


def _rerun(notebook: Any, defs: dict[str, Any], **change: Any) -> tuple[str, list[Any]]:
    """Run again with the controls' choice changed and the last good results in the state
    (a stand-in for marimo's: it holds what the run cell sets, else the last good results)."""
    good = defs["get_results"]()
    kept: list[Any] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GPULAB_PROFILE", "smoke")
        patch.setattr(sys, "argv", [str(NOTEBOOK)])
        overrides = {
            "choice": replace(defs["choice"], **change),
            "get_results": lambda: kept[-1] if kept else good,
            "set_results": kept.append,
        }
        outputs, _ = notebook.run(defs=overrides)
    return _text(outputs), kept


def test_the_default_smoke_run_fills_every_result(first_run) -> None:
    text, defs = first_run
    result = defs["get_results"]()
    assert isinstance(result, SuiteResult)
    assert result.config == GraphConfig.for_profile("smoke")  # the defaults are the profile's
    assert "Profile smoke" in text and "Press Run the suite" not in text
    assert "Ran 5 graphs x 6 algorithms" in text
    compared = len([c for c in result.checks if not c.skipped])
    assert compared == 5 * 6 and f"All {compared} compared answers equal networkx's." in text
    assert "FAILED" not in text and "Cannot run" not in text
    assert "not installed — unverified" in text or result.engines["nx-cugraph"].available
    assert "karate, coloured by PageRank" in text or "Check: pagerank on karate" in text
    assert "From this run only" in text
    assert result.row(OURS, "rmat-1e+04", "pagerank").check == "passed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kinds": (EDGE_LIST,), "edge_text": ""}, "the edge list is empty (an empty graph)"),
        ({"kinds": (EDGE_LIST,), "edge_text": "a a\n"}, "(an empty graph)"),
        ({"kinds": ()}, "choose at least one graph"),
        ({"algorithms": ()}, "choose at least one algorithm"),
        ({"kinds": ("rmat",), "sizes": (10**13, 10**13)}, "the largest that fits is about"),
    ],
    ids=["empty-edge-list", "self-loops-only", "no-graph", "no-algorithm", "does-not-fit"],
)
def test_a_bad_choice_shows_why_above_the_last_good_results(
    notebook, first_run, change, message
) -> None:
    _, defs = first_run
    text, kept = _rerun(notebook, defs, **change)
    assert kept == []  # the state was not touched: the results cells show the last good run
    assert "Cannot run the graph suite: invalid settings" in text and message in text
    assert KEPT in text and "Ran " not in text
    assert "From this run only" in text  # the last results, still on screen


def test_a_directed_edge_list_is_converted_and_said_so(notebook, first_run) -> None:
    _, defs = first_run
    text, kept = _rerun(
        notebook,
        defs,
        kinds=("karate", EDGE_LIST),
        edge_text="a b\nb c\nc a\nc d\n",
        edge_list_directed=True,
    )
    (result,) = kept
    assert [g.name for g in result.graphs] == ["edge_list-directed", "karate"]
    assert "Directed input, converted as networkx needs" in text
    assert "edge_list-directed: directed input converted to undirected (4 edges)" in text
    assert result.failed_checks() == []
