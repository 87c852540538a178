"""What the notebook shows of a run: timings with spread and noise, ratios only beside matching
answers, every check with its difference, a failed check named, conversions apart, the
stopping rule per graph, the CPU said so, and the small graphs drawn from a seeded layout."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.timing import Timing
from gpulab.workloads.graphs import (
    COLOUR_BY,
    EDGE_LIST,
    NETWORKX,
    OURS,
    REAL_GRAPHS,
    STRICT_L1,
    CheckResult,
    GraphConfig,
    GraphRow,
    GraphSpec,
    SuiteResult,
    algorithms_run,
    chart_points,
    check_rows,
    check_verdict,
    conversion_table,
    converted_notes,
    cpu_note,
    draw_graph,
    edge_list_spec,
    engine_status,
    meaning_text,
    pagerank_rule_rows,
    run_suite,
    speedup,
    timing_table,
    unrun_notes,
)

CONFIG = GraphConfig(
    graphs=(
        GraphSpec("karate"),
        GraphSpec("rmat", 2_000, directed=True),
        edge_list_spec("a b\nb c\nc a\n"),
    ),
    algorithms=("pagerank", "components", "triangles"),
    device="cpu",
    warmup=0,
    repeats=2,
    networkx_repeats=2,
)


@pytest.fixture(scope="module")
def result() -> SuiteResult:
    return run_suite(CONFIG)


def test_the_timing_table_has_spread_ratio_check_and_note(result: SuiteResult) -> None:
    rows = timing_table(result, "pagerank")
    assert {r["graph"] for r in rows} == {"karate", "rmat-2e+03-directed", "edge_list"}
    assert list(rows[0]) == [
        "graph",
        "engine",
        "median",
        "p10–p90 (runs)",
        "edges/s",
        "vs networkx",
        "check",
        "note",
    ]
    ours = next(r for r in rows if r["engine"] == OURS and r["graph"] == "karate")
    reference = next(r for r in rows if r["engine"] == NETWORKX and r["graph"] == "karate")
    assert ours["check"] == "passed" and ours["vs networkx"].endswith("×")
    assert reference["check"] == "reference" and reference["vs networkx"] == ""
    assert ours["p10–p90 (runs)"].endswith(" (2)") and "iterations" in ours["note"]
    everything = timing_table(result)
    assert "algorithm" in everything[0] and len(everything) == 3 * 3 * 2
    converted = next(
        r for r in everything if r["graph"].endswith("-directed") and r["algorithm"] == "triangles"
    )
    assert "ran on the undirected version" in converted["note"]
    assert algorithms_run(result) == ["pagerank", "components", "triangles"]


def test_a_noisy_timing_is_flagged_beside_its_median(result: SuiteResult) -> None:
    noisy = replace(result, rows=[replace(r) for r in result.rows])
    row = next(r for r in noisy.rows if r.engine == OURS and r.ran)
    row.timing = Timing(samples_s=[1.0, 1.0, 1.0, 9.0], method="perf_counter", warmup=0)
    shown = next(
        r
        for r in timing_table(noisy)
        if (r["engine"], r["graph"], r["algorithm"]) == (OURS, row.graph, row.algorithm)
    )
    assert shown["median"].endswith("⚠") and shown["note"].startswith("noisy: p99")


def test_no_ratio_beside_an_answer_that_differs(result: SuiteResult) -> None:
    row = result.row(OURS, "karate", "pagerank")
    assert speedup(result, row) > 0
    assert speedup(result, replace(row, check="FAILED")) is None
    assert speedup(result, result.row(NETWORKX, "karate", "pagerank")) is None


def test_every_check_is_listed_with_its_difference(result: SuiteResult) -> None:
    rows = check_rows(result)
    assert len(rows) == len(result.checks) == 9
    pagerank = next(r for r in rows if r["algorithm"] == "pagerank" and r["graph"] == "karate")
    assert pagerank["status"] == "passed" and pagerank["difference"].startswith("max diff ")
    triangles = next(r for r in rows if r["algorithm"] == "triangles" and r["graph"] == "karate")
    assert triangles["difference"] == "0 of 34 nodes differ"
    kind, text = check_verdict(result)
    assert (kind, text) == ("success", "All 9 compared answers equal networkx's.")


def test_a_failed_check_is_a_danger_callout_naming_it(result: SuiteResult) -> None:
    failed = CheckResult("karate", "pagerank", OURS, NETWORKX, False, 0.5, None, 1e-6, 34)
    kind, text = check_verdict(replace(result, checks=[*result.checks[1:], failed]))
    assert kind == "danger" and "1 of 9 compared answers differ" in text
    assert "pagerank on karate: gpulab-torch vs networkx: FAILED (max diff 0.5" in text


def test_nothing_compared_is_never_a_success_about_zero(result: SuiteResult) -> None:
    skipped = CheckResult("karate", "bfs", OURS, NETWORKX, False, skipped="networkx skipped")
    for checks in ([], [skipped]):
        kind, text = check_verdict(replace(result, checks=checks))
        assert kind == "info" and "All 0" not in text and "nothing is checked" in text


def test_conversions_are_shown_apart_and_directed_input_is_said(result: SuiteResult) -> None:
    table = {row["graph"]: row for row in conversion_table(result)}
    assert table["rmat-2e+03-directed"]["draw edges"] and table["karate"]["draw edges"] == ""
    assert table["edge_list"]["to CSR"] and table["edge_list"]["dropped"] == "0 / 0"
    (line,) = converted_notes(result)
    assert line.startswith("- **rmat-2e+03-directed**: directed input converted to undirected")
    assert line.endswith("for components, triangles")


def test_the_cpu_is_said_and_engines_that_did_not_run_are_listed(result: SuiteResult) -> None:
    assert "compares two CPU implementations" in cpu_note(result)
    assert cpu_note(replace(result, device="cuda:0")) == ""
    assert "From this run only (ours on `cpu`, 3 graphs" in meaning_text(result)
    assert "compares two CPU implementations" in meaning_text(result)
    if not engine_status("nx-cugraph").available:
        assert any("not installed — unverified" in line for line in unrun_notes(result))


def test_the_meaning_names_the_largest_compared_graph_and_ours_alone_beyond_it() -> None:
    config = replace(
        CONFIG,
        graphs=(GraphSpec("rmat", 2_000), GraphSpec("rmat", 8_000)),
        algorithms=("bfs",),
        networkx_max_edges=5_000,
    )
    text = meaning_text(run_suite(config))
    assert "on rmat-2e+03 (2,000 edges) ours took" in text and "with equal answers" in text
    assert "ours alone on rmat-8e+03 (8,000 edges)" in text
    assert "networkx skipped: 8,000 edges > networkx_max_edges (5,000)" in text


def test_chart_points_carry_the_graph_family(result: SuiteResult) -> None:
    families = {p["graph"]: p["family"] for p in chart_points(result)}
    assert families == {
        "karate": "real",
        "rmat-2e+03-directed": "R-MAT (directed)",
        "edge_list": "edge list",
    }
    assert all(p["seconds"] > 0 for p in chart_points(result))


def test_the_stopping_rule_table_shows_networkx_s_threshold_and_the_strict_one() -> None:
    config = replace(CONFIG, graphs=(GraphSpec("rmat", 10**4),), algorithms=("pagerank",))
    loose, strict = run_suite(config), run_suite(replace(config, pagerank_l1=STRICT_L1))
    (loose_row,), (strict_row,) = pagerank_rule_rows(loose), pagerank_rule_rows(strict)
    assert loose_row["nodes (N)"] == "512" and loose_row["stops when L1 change <"] == "0.00051"
    assert strict_row["stops when L1 change <"] == "1e-06"
    assert strict_row["iterations"] > loose_row["iterations"]
    assert all(c.status == "passed" for c in strict.checks)


@pytest.mark.parametrize("colour_by", list(COLOUR_BY))
def test_the_small_graphs_are_drawn_from_a_seeded_layout_and_checked(colour_by: str) -> None:
    for kind in REAL_GRAPHS:
        drawn = draw_graph(kind, colour_by)
        assert drawn.check.passed, drawn.check.describe()
        assert len(drawn.nodes) == drawn.check.compared and drawn.edges
        assert all(-1.0 <= n["x"] <= 1.0 and -1.0 <= n["y"] <= 1.0 for n in drawn.nodes)
    again = draw_graph("karate", colour_by)
    assert again.nodes == draw_graph("karate", colour_by).nodes  # the same picture every time


def test_an_edge_list_is_drawn_and_bad_requests_are_refused() -> None:
    drawn = draw_graph(EDGE_LIST, "components", edge_text="a b\nb c\nd e\n")
    assert {n["node"]: n["value"] for n in drawn.nodes} == {"a": 0, "b": 0, "c": 0, "d": 3, "e": 3}
    with pytest.raises(UsageError, match="an empty graph"):
        draw_graph(EDGE_LIST, "pagerank", edge_text="")
    with pytest.raises(UsageError, match="cannot colour by"):
        draw_graph("karate", "louvain")
    with pytest.raises(UsageError, match="generated at scale"):
        draw_graph("rmat", "pagerank")
    many = "\n".join(f"{i} {i + 1}" for i in range(400))
    with pytest.raises(UsageError, match="a drawing shows up to 300"):
        draw_graph(EDGE_LIST, "bfs", edge_text=many)


def test_rows_without_a_time_say_why() -> None:
    row = GraphRow(NETWORKX, "rmat-1e+08", "bfs", 1, 1, "cpu", skipped="networkx skipped: big")
    config = GraphConfig(graphs=(GraphSpec("rmat", 10**8),))
    result = SuiteResult(config, "cpu", {}, rows=[row])
    (shown,) = timing_table(result)
    assert shown["median"] == shown["p10–p90 (runs)"] == "" and shown["note"] == row.skipped
