"""The config per profile, its validation, what fits in memory, and a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.workloads.graphs import (
    ALGORITHMS,
    CUGRAPH,
    OURS,
    REAL_GRAPHS,
    GraphConfig,
    GraphSpec,
    GraphTooLarge,
    engine_status,
    largest_fit,
    require_nx_cugraph,
    run_suite,
)


def test_smoke_is_the_real_graphs_and_a_small_rmat() -> None:
    config = GraphConfig.for_profile("smoke")
    assert [s.kind for s in config.graphs] == [*REAL_GRAPHS, "rmat"]
    assert config.graphs[-1].edges == 10**4
    assert config.algorithms == ALGORITHMS


def test_full_reaches_1e8_edges_for_ours_on_linear_algorithms() -> None:
    config = GraphConfig.for_profile("full")
    largest = max(config.graphs, key=lambda s: s.edges)
    assert largest.edges >= 10**8 and largest.kind == "rmat"
    assert "triangles" not in config.algorithms_for(largest)
    assert any(s.directed for s in config.graphs)
    assert {s.kind for s in config.graphs} >= {"rmat", "erdos_renyi", "barabasi_albert"}
    assert config.networkx_max_edges < largest.edges  # networkx stops well before


def test_bench_config_is_pagerank_at_1e7_then_ours_alone_at_1e8() -> None:
    full = GraphConfig.bench_for_profile("full")
    assert [s.edges for s in full.graphs] == [10**7, 10**8]
    assert full.graphs[0].scale == 19 and full.algorithms == ("pagerank",)
    assert full.device == "cuda" and full.networkx_max_edges == 10**7
    smoke = GraphConfig.bench_for_profile("smoke")
    assert [s.edges for s in smoke.graphs] == [10**4, 10**5] and smoke.device == "cpu"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (GraphConfig(graphs=(GraphSpec("petersen"),)), "unknown graph kind 'petersen'"),
        (GraphConfig(graphs=(GraphSpec("rmat", 0),)), "must be positive"),
        (GraphConfig(graphs=(GraphSpec("erdos_renyi", -5),)), "must be positive"),
        (GraphConfig(graphs=(GraphSpec("barabasi_albert", 10),)), "an empty graph"),
        (GraphConfig(graphs=()), "at least one graph"),
        (GraphConfig(algorithms=("pagerank", "louvain2")), "unknown algorithm"),
        (GraphConfig(engines=("networkx",)), "must include 'gpulab-torch'"),
        (GraphConfig(repeats=0), "timed repeat"),
        (GraphConfig(graphs=(GraphSpec("rmat", 10, edge_factor=16),)), "do not fit on 2 nodes"),
    ],
)
def test_validate_names_the_bad_input(config: GraphConfig, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        config.validate()
    with pytest.raises(UsageError, match=message):
        run_suite(config)  # the runner validates before any work


def test_unknown_profile_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown profile"):
        GraphConfig.for_profile("huge")


def test_largest_fit_from_free_memory() -> None:
    gib = 2**30
    gpu = largest_fit("cuda:0", gpu_free_bytes=80 * gib, host_available_bytes=64 * gib)
    assert gpu.limited_by == "GPU memory"
    assert gpu.max_edges == int(80 * gib * 0.8 // gpu.bytes_per_edge)
    assert gpu.max_edges > 10**8  # an 80 GiB GPU holds the 10^8-edge graph
    assert gpu.networkx_max_edges == int(64 * gib * 0.8 // 600)
    cpu = largest_fit("cpu", host_available_bytes=4 * gib)
    assert cpu.limited_by == "host memory" and cpu.max_edges < gpu.max_edges
    assert cpu.largest_rmat().edges <= cpu.max_edges < 10 * cpu.largest_rmat().edges
    assert largest_fit().max_edges > 10**4  # this machine, measured


def test_a_graph_that_does_not_fit_names_the_largest_that_does() -> None:
    fit = largest_fit("cpu", host_available_bytes=2**30)
    spec = GraphSpec("rmat", 10**9)
    with pytest.raises(GraphTooLarge, match=f"largest that fits is about {fit.max_edges:,}") as e:
        fit.check(spec)
    assert e.value.max_edges == fit.max_edges and e.value.requested_edges == 10**9
    assert isinstance(e.value, UsageError)
    fit.check(GraphSpec("rmat", fit.max_edges))  # the largest fits
    # the runner refuses before drawing anything
    with pytest.raises(GraphTooLarge, match="host memory"):
        run_suite(GraphConfig(graphs=(GraphSpec("rmat", 10**13),), device="cpu"))


def test_nx_cugraph_is_reported_not_silently_missing() -> None:
    status = engine_status(CUGRAPH)
    assert engine_status(OURS).available
    try:
        import nx_cugraph  # noqa: F401
    except ImportError:
        assert not status.available and status.reason == "not installed — unverified"
        assert status.hint.startswith("pip install nx-cugraph-cu1")
        with pytest.raises(MissingDependencyError, match="pip install nx-cugraph-cu1"):
            require_nx_cugraph()
    else:
        require_nx_cugraph()


def test_import_loads_neither_torch_nor_networkx_nor_scipy() -> None:
    code = (
        "import sys; from gpulab.workloads import graphs; "
        "graphs.GraphConfig.for_profile('full').validate(); graphs.REAL; "
        "print(sorted(m for m in ('torch', 'networkx', 'scipy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout.replace("'", '"')) == []
