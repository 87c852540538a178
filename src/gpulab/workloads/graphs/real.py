"""The real graphs networkx ships: small, well known, and the ground truth for correctness."""

from __future__ import annotations

from typing import Any

from gpulab.errors import UsageError

# name -> (networkx builder, what it is)
REAL: dict[str, tuple[str, str]] = {
    "karate": ("karate_club_graph", "Zachary's karate club: 34 members, weighted ties"),
    "les_miserables": ("les_miserables_graph", "Les Misérables co-appearances, weighted"),
    "florentine": ("florentine_families_graph", "Florentine families' marriages"),
    "davis": ("davis_southern_women_graph", "Davis' southern women and their events, bipartite"),
}


def real_graph(name: str) -> Any:
    """The networkx graph named `name` (one of `REAL`), built by networkx itself."""
    if name not in REAL:
        raise UsageError(f"unknown real graph {name!r} (choose from {', '.join(REAL)})")
    import networkx as nx

    return getattr(nx, REAL[name][0])()
