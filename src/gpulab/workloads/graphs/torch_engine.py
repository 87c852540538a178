"""Our engine: each algorithm as a zero-argument call for the timer, and its answer for checks.

The call returns device tensors and is all that is timed; moving the answer to the host for the
cross-check (`ours_outcome`) happens after the clock stops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .checks import Outcome, summarise
from .csr import Csr
from .kernels.betweenness import betweenness
from .kernels.bfs import bfs_levels
from .kernels.components import connected_components
from .kernels.kcore import core_numbers
from .kernels.pagerank import PageRank, pagerank
from .kernels.triangles import triangles
from .tasks import Task


def ours_call(task: Task, graph: Csr) -> Callable[[], Any]:
    """The kernel for `task` on `graph`, ready to time."""
    calls: dict[str, Callable[[], Any]] = {
        "pagerank": lambda: pagerank(graph, task.alpha, task.tol, task.max_iter),
        "bfs": lambda: bfs_levels(graph, task.source),
        "components": lambda: connected_components(graph),
        "triangles": lambda: triangles(graph),
        "kcore": lambda: core_numbers(graph),
        "betweenness": lambda: betweenness(graph, task.sources),
    }
    return calls[task.algorithm]


def ours_outcome(task: Task, answer: Any) -> Outcome:
    """Our answer on the host, with the figures a table shows beside the time."""
    if isinstance(answer, PageRank):
        values = answer.scores.cpu().numpy()
        summary = {"l1_change": answer.l1_change, **summarise("pagerank", values)}
        return Outcome(values, answer.iterations, summary)
    values = answer.cpu().numpy()
    return Outcome(values, None, summarise(task.algorithm, values))
