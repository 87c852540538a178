"""The suite runner: rows for the table and chart, checks that passed, progress in edge units,
directed input made undirected with a note, networkx skipped with its reason."""

from __future__ import annotations

import json

import pytest

from gpulab.workloads.graphs import (
    ALGORITHMS,
    CUGRAPH,
    NETWORKX,
    OURS,
    GraphConfig,
    GraphSpec,
    SuiteResult,
    run_suite,
)

Progress = list[tuple[float, float, str]]


@pytest.fixture(scope="module")
def smoke() -> tuple[SuiteResult, Progress]:
    calls: Progress = []
    config = GraphConfig.for_profile("smoke")
    return run_suite(config, progress=lambda d, t, n: calls.append((d, t, n))), calls


def test_smoke_runs_every_algorithm_on_every_graph_and_every_check_passes(smoke) -> None:
    result, _ = smoke
    names = [g.name for g in result.graphs]
    assert names[-1] == "rmat-1e+04" and len(names) == 5
    for name in names:
        for algorithm in ALGORITHMS:
            for engine in (OURS, NETWORKX):
                row = result.row(engine, name, algorithm)
                assert row is not None and row.ran, (engine, name, algorithm)
                assert row.timing.repeats == (3 if engine == OURS else 3)
                assert row.edges_per_s > 0
    checks = [c for c in result.checks if c.engine == OURS]
    assert len(checks) == len(names) * len(ALGORITHMS)
    assert [c.describe() for c in checks if c.status != "passed"] == []
    pagerank = [c for c in checks if c.algorithm == "pagerank"]
    assert all(c.max_diff is not None and c.max_diff <= 1e-6 for c in pagerank)
    exact = [c for c in checks if c.algorithm in ("bfs", "triangles", "kcore", "components")]
    assert all(c.mismatches == 0 and c.compared > 0 for c in exact)


def test_rows_carry_what_the_table_and_chart_need(smoke) -> None:
    result, _ = smoke
    row = result.row(OURS, "rmat-1e+04", "pagerank")
    assert row.iterations and row.summary["l1_change"] < 10_000 * 1e-6
    assert row.check == "passed" and row.device == result.device
    triangles = result.row(OURS, "karate", "triangles").summary["triangles"]
    assert triangles == result.row(NETWORKX, "karate", "triangles").summary["triangles"] == 45
    table = result.table()
    assert {"engine", "graph", "algorithm", "edges", "median_s", "spread", "check"} <= set(table[0])
    chart = result.chart()
    assert all(point["seconds"] > 0 for point in chart)
    assert {p["engine"] for p in chart} == {OURS, NETWORKX}
    json.dumps(result.to_dict(), default=str)  # serialisable for a report
    info = result.graphs[-1]
    assert info.generate_s > 0 and info.to_csr_s > 0 and info.to_networkx_s > 0


def test_missing_nx_cugraph_is_a_row_with_its_reason(smoke) -> None:
    result, _ = smoke
    if result.engines[CUGRAPH].available:
        pytest.skip("nx-cugraph is installed here: its rows are real ones")
    missing = result.row(CUGRAPH, "all", "all")
    assert missing.skipped.startswith("not installed — unverified (pip install nx-cugraph-cu1")
    louvain = result.row(CUGRAPH, "all", "louvain")
    assert "Louvain runs through nx-cugraph only" in louvain.skipped


def test_progress_counts_edges_times_runs_and_ends_at_the_total(smoke) -> None:
    result, calls = smoke
    done = [d for d, _, _ in calls]
    assert done == sorted(done)
    total = calls[0][1]
    edges = sum(g.edges for g in result.graphs)  # the real and R-MAT graphs' exact sizes
    assert total == edges * len(ALGORITHMS) * 2  # two engines ran (ours and networkx)
    assert calls[-1][:2] == (total, total)
    assert calls[-2][2] == f"{OURS}: betweenness on rmat-1e+04"


def test_directed_input_is_converted_where_needed_and_networkx_skips_with_a_reason() -> None:
    config = GraphConfig(
        graphs=(GraphSpec("rmat", 3_000, directed=True), GraphSpec("erdos_renyi", 6_000)),
        algorithms=("pagerank", "components", "kcore"),
        networkx_max_edges=5_000,
        repeats=1,
        warmup=0,
        networkx_repeats=1,
    )
    result = run_suite(config)
    name = "rmat-3e+03-directed"
    assert result.row(OURS, name, "pagerank").note == ""
    for engine in (OURS, NETWORKX):
        note = result.row(engine, name, "components").note
        assert note.startswith("directed input converted to undirected")
    assert result.row(OURS, name, "kcore").check == "passed"
    skipped = result.row(NETWORKX, "erdos_renyi-6e+03", "pagerank").skipped
    assert skipped == "networkx skipped: 6,000 edges > networkx_max_edges (5,000)"
    check = next(c for c in result.checks if c.graph == "erdos_renyi-6e+03")
    assert check.status == "skipped" and check.skipped == skipped
    assert result.row(OURS, "erdos_renyi-6e+03", "pagerank").ran


def test_networkx_time_cap_extrapolates_from_the_last_size() -> None:
    config = GraphConfig(
        graphs=(GraphSpec("rmat", 2_000), GraphSpec("rmat", 10**5)),
        algorithms=("betweenness",),
        networkx_time_cap_s=0.05,  # the small graph's exact betweenness takes longer already
        repeats=1,
        networkx_repeats=1,
    )
    result = run_suite(config)
    skipped = result.row(NETWORKX, "rmat-1e+05", "betweenness").skipped
    assert skipped.startswith("networkx skipped: about") and "> the 0.05 s cap" in skipped
    assert "rmat-2e+03" in skipped
    assert result.row(OURS, "rmat-1e+05", "betweenness").ran


def test_smoke_betweenness_is_exact_on_real_graphs_and_sampled_on_rmat(smoke) -> None:
    result, _ = smoke
    karate = result.row(NETWORKX, "karate", "betweenness")
    rmat = result.row(NETWORKX, "rmat-1e+04", "betweenness")
    assert karate.ran and rmat.ran
    config = result.config
    assert config.betweenness_exact_max_nodes < result.graphs[-1].nodes
    checks = {c.graph: c for c in result.checks if c.algorithm == "betweenness"}
    assert checks["rmat-1e+04"].status == "passed" and checks["karate"].status == "passed"
