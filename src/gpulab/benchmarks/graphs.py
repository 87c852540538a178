"""Graph analytics: PageRank on an R-MAT graph of 10^7 edges, our torch kernel on the GPU vs networkx.

Runs `gpulab.workloads.graphs.run_suite` with `GraphConfig.bench_for_profile`: PageRank on a
Graph500 R-MAT graph (a, b, c = 0.57, 0.19, 0.19) of exactly 10^7 distinct undirected edges
(scale 19: 2^19 nodes, about 20 raw edges drawn per node before dropping repeats), ours (fp64,
networkx's semantics and stopping rule) on the first CUDA GPU against `nx.pagerank` (scipy) on
the CPU in the same run, then ours alone on an R-MAT of 10^8 edges. The metric is seconds per
PageRank (median, lower is better), so ratio = networkx seconds / ours, for the call a networkx
user writes, `nx.pagerank(G)`. Its stopping rule (L1 change < N * tol) ends after two iterations
at N = 2^19 (after one at 2^23), so `details["strict_tolerance"]` times both again with
tol = 1e-6 / N (an L1 change below 1e-6: a converged answer), and
`details["large_strict_tolerance"]` ours on the 10^8 graph likewise. Smoke: 10^4 and 10^5 edges, ours on the CPU, the same code
path. `details` holds the cross-checks (max abs diff vs networkx), the conversion times (edge
list -> device CSR, CSR -> networkx graph), iterations, dtype, nx-cugraph's time (or why it did
not run), the 10^8 run and the configs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gpulab.bench import BenchResult
from gpulab.benchmarks import require_cuda_for_full
from gpulab.progress import printed_progress
from gpulab.workloads.graphs import (
    CUGRAPH,
    NETWORKX,
    OURS,
    GraphConfig,
    GraphInfo,
    GraphRow,
    SuiteResult,
    run_suite,
)

METHOD = (
    "gpulab.timing.benchmark per engine: ours {warmup} warm-up + {repeats} timed calls (CUDA "
    "events on a GPU), networkx {networkx_warmup} + {networkx_repeats}; a call is the whole "
    "PageRank (networkx: nx.pagerank incl. its scipy matrix build; ours: the CSR already on the "
    "device), fp64, alpha 0.85, tol 1e-6 (stop when sum |x - x_prev| < N * tol), max_iter 100"
)


def config_for(profile: str) -> GraphConfig:
    """The benchmark's settings (`GraphConfig.bench_for_profile`); full needs a CUDA GPU."""
    config = GraphConfig.bench_for_profile(profile)
    require_cuda_for_full(profile, "graphs", "measures PageRank on a CUDA GPU")
    return config


STRICT_L1 = 1e-6  # the strict run's stopping rule: sum |x - x_prev| < 1e-6


def strict_config(config: GraphConfig, index: int = 0) -> GraphConfig:
    """Graph `index` of the bench again with tol = 1e-6 / N (networkx once on the full profile:
    each call spends most of its time building the scipy matrix, whatever the iterations)."""
    spec = config.graphs[index]
    repeats = 1 if config.device == "cuda" else config.networkx_repeats
    return replace(
        config,
        graphs=(spec,),
        pagerank_tol=STRICT_L1 / spec.n_nodes,
        networkx_repeats=repeats,
    )


def run(profile: str) -> BenchResult:
    config = config_for(profile)
    result = run_suite(config, progress=printed_progress())
    strict = [strict_config(config, index) for index in (0, 1)]
    strict_results = [run_suite(c, progress=printed_progress()) for c in strict]
    headline, large = (spec.name for spec in config.graphs)
    ours = _row(result, OURS, headline)
    peer = _row(result, NETWORKX, headline)
    check = next(c for c in result.checks if c.graph == headline and c.engine == OURS)
    no_ratio = ""
    if not peer.ran or not ours.ran:
        no_ratio = f"no timing to compare: {peer.skipped or peer.error or ours.error}"
    elif check.status != "passed":
        no_ratio = f"ours disagrees with networkx: {check.describe()}"
    return BenchResult(
        metric="PageRank seconds (median)",
        ours=ours.median_s or 0.0,
        peer_name="networkx nx.pagerank (scipy, CPU)",
        peer_value=peer.median_s or 0.0,
        unit="s",
        higher_is_better=False,
        details=_details(result, config, headline, large, check.to_dict())
        | {"strict_tolerance": _strict(strict_results[0], strict[0], headline)}
        | {"large_strict_tolerance": _large_strict(strict_results[1], strict[1], large)},
        no_ratio_because=no_ratio,
    )


def _details(
    result: SuiteResult, config: GraphConfig, headline: str, large: str, check: dict[str, Any]
) -> dict[str, Any]:
    ours, peer = _row(result, OURS, headline), _row(result, NETWORKX, headline)
    graph = _graph(result, headline)
    return {
        "device": result.device,
        "graph": graph.to_dict()
        | {"scale": config.graphs[0].scale, "drawn_per_node": graph.drawn_edges / graph.nodes},
        "max_abs_diff": check["max_diff"],
        "check": check,
        "iterations": ours.iterations,
        "dtype": "float64",
        "conversion": {
            "generate_s": graph.generate_s,
            "edge_list_to_device_csr_s": graph.to_csr_s,
            "csr_to_networkx_graph_s": graph.to_networkx_s,
        },
        "ours": ours.to_dict(),
        "networkx": peer.to_dict(),
        "speedup": peer.median_s / ours.median_s if peer.ran and ours.median_s else None,
        "nx_cugraph": _cugraph(result, headline),
        "large": _large(result, large, config),
        "method": METHOD.format(**config.to_dict()),
        "config": config.to_dict(),
    }


def _strict(result: SuiteResult, config: GraphConfig, headline: str) -> dict[str, Any]:
    """Both engines to a converged answer: times, iterations, the check and the ratio."""
    ours, peer = _row(result, OURS, headline), _row(result, NETWORKX, headline)
    check = next(c for c in result.checks if c.graph == headline and c.engine == OURS)
    return {
        "tol": config.pagerank_tol,
        "iterations": ours.iterations,
        "ours_s": ours.median_s,
        "networkx_s": peer.median_s,
        "ratio": peer.median_s / ours.median_s if peer.ran and ours.median_s else None,
        "check": check.to_dict(),
        "ours": ours.to_dict(),
        "networkx": peer.to_dict(),
        "config": config.to_dict(),
    }


def _large_strict(result: SuiteResult, config: GraphConfig, large: str) -> dict[str, Any]:
    """Ours alone on the large graph, converged (tol = 1e-6 / N)."""
    row = _row(result, OURS, large)
    return {
        "tol": config.pagerank_tol,
        "iterations": row.iterations,
        "median_s": row.median_s,
        "edges_per_s": row.edges_per_s,
        "error": row.error,
        "row": row.to_dict(),
    }


def _cugraph(result: SuiteResult, headline: str) -> dict[str, Any]:
    """nx-cugraph's time and check, or why it did not run."""
    status = result.engines.get(CUGRAPH)
    if status is None or not status.available:
        reason = status.reason if status else "not among the engines"
        return {"ran": False, "reason": reason, "hint": status.hint if status else ""}
    row = _row(result, CUGRAPH, headline)
    check = next((c for c in result.checks if c.graph == headline and c.engine == CUGRAPH), None)
    return {
        "ran": row.ran,
        "reason": row.skipped or row.error,
        "median_s": row.median_s,
        "check": check.to_dict() if check else None,
        "row": row.to_dict(),
    }


def _large(result: SuiteResult, name: str, config: GraphConfig) -> dict[str, Any]:
    """Ours alone on the large graph: time, edges/s, iterations, conversions."""
    row, graph = _row(result, OURS, name), _graph(result, name)
    return {
        "graph": graph.to_dict() | {"scale": config.graphs[1].scale},
        "median_s": row.median_s,
        "edges_per_s": row.edges_per_s,
        "iterations": row.iterations,
        "error": row.error,
        "networkx": _row(result, NETWORKX, name).skipped,
        "row": row.to_dict(),
    }


def _row(result: SuiteResult, engine: str, graph: str) -> GraphRow:
    row = result.row(engine, graph, "pagerank")
    if row is None:
        raise RuntimeError(f"the suite produced no PageRank row for {engine} on {graph}")
    return row


def _graph(result: SuiteResult, name: str) -> GraphInfo:
    return next(g for g in result.graphs if g.name == name)
