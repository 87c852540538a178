"""The notebook's controls as a suite config: defaults from the profile, every generated kind at
every power of ten of the range, problems named before a run, a clear refusal when run."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gpulab.errors import UsageError
from gpulab.workloads.graphs import (
    ALGORITHMS,
    CUGRAPH,
    EDGE_LIST,
    NETWORKX,
    OURS,
    STRICT_L1,
    GraphConfig,
    GraphSpec,
    chosen_config,
    chosen_graphs,
    default_choice,
    describe_sizes,
    largest_fit,
    selection_problems,
    size_steps,
    sizes_between,
)

GIB = 2**30


def test_the_smoke_defaults_run_exactly_the_smoke_profile() -> None:
    base = GraphConfig.for_profile("smoke")
    choice = default_choice(base)
    assert choice.sizes == (10**4, 10**4) and not choice.directed and not choice.strict_pagerank
    assert set(choice.engines) == {NETWORKX, CUGRAPH} and choice.repeats == base.repeats
    assert chosen_config(base, choice) == base


def test_the_full_defaults_start_from_the_full_profile() -> None:
    base = GraphConfig.for_profile("full")
    choice = default_choice(base)
    assert choice.sizes == (10**4, 10**8) and choice.directed
    specs = chosen_graphs(base, choice)
    assert set(base.graphs) <= set(specs)  # every graph of the profile runs, as it is
    heavy = {s.name: s.algorithms for s in specs if s.edges == 10**8}
    assert set(heavy) == {"rmat-1e+08", "erdos_renyi-1e+08", "barabasi_albert-1e+08"}
    assert all(a is not None and "triangles" not in a for a in heavy.values())
    assert [s.name for s in specs if s.directed] == [
        "rmat-1e+05-directed",
        "erdos_renyi-1e+05-directed",
    ]  # the profile's directed size, for each kind that draws directed edges
    chosen_config(base, choice).validate()


def test_each_generated_kind_runs_at_every_power_of_ten_of_the_range() -> None:
    base = GraphConfig.for_profile("smoke")
    choice = replace(
        default_choice(base),
        kinds=("karate", "erdos_renyi", "barabasi_albert"),
        sizes=(10**5, 10**4),  # either order
        directed=True,
        algorithms=("kcore", "pagerank"),
        engines=(CUGRAPH,),
        device="cpu",
        strict_pagerank=True,
        repeats=2,
    )
    config = chosen_config(base, choice)
    assert [s.name for s in config.graphs] == [
        "karate",
        "erdos_renyi-1e+04",
        "erdos_renyi-1e+05",
        "barabasi_albert-1e+04",
        "barabasi_albert-1e+05",
        "erdos_renyi-1e+04-directed",  # Barabási–Albert is undirected here
    ]
    assert config.algorithms == ("pagerank", "kcore")  # suite order
    assert config.engines == (OURS, CUGRAPH)  # ours always; networkx left out as asked
    assert config.device == "cpu" and config.repeats == 2 and config.pagerank_l1 == STRICT_L1
    assert config.pagerank_tol_for(500) == STRICT_L1 / 500
    assert base.pagerank_tol_for(500) == base.pagerank_tol


def test_an_edge_list_is_a_graph_of_the_run() -> None:
    base = GraphConfig.for_profile("smoke")
    choice = replace(
        default_choice(base),
        kinds=(EDGE_LIST,),
        edge_text="a b\nb c",
        edge_list_directed=True,
    )
    (spec,) = chosen_config(base, choice).graphs
    assert spec == GraphSpec(EDGE_LIST, 2, directed=True, pairs=(("a", "b"), ("b", "c")))
    assert spec.name == "edge_list-directed"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kinds": ()}, "No graph is chosen"),
        ({"algorithms": ()}, "No algorithm is chosen"),
        ({"kinds": (EDGE_LIST,), "edge_text": ""}, "the edge list is empty (an empty graph)"),
        ({"kinds": (EDGE_LIST,), "edge_text": "x x\n"}, "no edges once self-loops are dropped"),
        ({"kinds": (EDGE_LIST,), "edge_text": "a b c"}, "line 1: expected two node names"),
        ({"sizes": (10**4, 10**9)}, "1,000,000,000 edges do not fit"),
    ],
)
def test_a_choice_that_cannot_run_is_named_before_the_run_and_refused(change, message) -> None:
    base = GraphConfig.for_profile("smoke")
    choice = replace(default_choice(base), **change)
    fit = largest_fit("cpu", host_available_bytes=GIB)
    dangers = [text for kind, text in selection_problems(choice, fit) if kind == "danger"]
    assert any(message in text for text in dangers), dangers
    if "do not fit" in message:
        assert f"about {fit.max_edges:,} edges" in dangers[0]  # the size that fits, named
        return  # the runner refuses it (GraphTooLarge): tests/graphs/test_notebook_run.py
    with pytest.raises(UsageError):
        chosen_config(base, choice)


def test_leaving_networkx_out_is_a_warning_not_an_error() -> None:
    base = GraphConfig.for_profile("smoke")
    choice = replace(default_choice(base), engines=())
    problems = selection_problems(choice, largest_fit("cpu"))
    assert [kind for kind, _ in problems] == ["warn"]
    assert "no answer is cross-checked" in problems[0][1]
    assert chosen_config(base, choice).engines == (OURS,)


def test_the_size_slider_stops_at_the_largest_power_of_ten_that_fits() -> None:
    gpu = largest_fit("cuda:0", gpu_free_bytes=80 * GIB, host_available_bytes=64 * GIB)
    assert size_steps(gpu) == [10**4, 10**5, 10**6, 10**7, 10**8]
    tiny = largest_fit("cpu", host_available_bytes=10**6)  # ~3,500 edges: less than the smallest
    assert size_steps(tiny) == [10**4, 10**5]  # a slider needs two steps; running says why not
    assert sizes_between(10**6, 10**4) == [10**4, 10**5, 10**6]
    assert describe_sizes(10**4, 10**5) == "10,000 · 100,000 edges"


def test_the_strict_rule_must_be_an_l1_change_below_2() -> None:
    with pytest.raises(UsageError, match="pagerank_l1 must lie in"):
        GraphConfig(pagerank_l1=3.0).validate()
    assert GraphConfig(pagerank_l1=STRICT_L1).validate().algorithms == ALGORITHMS


def test_ours_can_run_automatically_on_the_cpu_or_on_each_gpu_torch_sees() -> None:
    import torch

    from gpulab.workloads.graphs import AUTO_DEVICE, device_choices, resolve_device

    choices = device_choices()
    assert list(choices.values())[:2] == [AUTO_DEVICE, "cpu"]
    gpus = [value for value in choices.values() if value.startswith("cuda")]
    assert gpus == [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    for value in choices.values():
        resolve_device(None if value == AUTO_DEVICE else value)  # each one is usable here
