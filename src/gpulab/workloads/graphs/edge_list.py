"""A graph of your own, typed or pasted as an edge list: one `u v` pair of node names per line.

Blank lines and `#` comments are skipped; names are any tokens without spaces or commas (`1 2`,
`alice,bob`). The graph is simple, like every graph of the suite: self-loops and repeated edges
are dropped when it is built (and counted on its conversion row), so an edge list of self-loops
alone is an empty graph, refused with a one-line UsageError. Nothing here imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gpulab.errors import UsageError

from .config import EDGE_LIST, GraphSpec

MAX_PAIRS = 100_000  # typed or pasted text; generated graphs carry the scale
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_edge_list(text: str) -> tuple[tuple[str, str], ...]:
    """The `(u, v)` pairs of `text`, in order; a UsageError naming the first bad line."""
    pairs: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        tokens = [token for token in _SEPARATORS.split(line) if token]
        if len(tokens) != 2:
            raise UsageError(
                f"edge list line {number}: expected two node names ('u v'), got {raw.strip()!r}"
            )
        pairs.append((tokens[0], tokens[1]))
    if not pairs:
        raise UsageError("the edge list is empty (an empty graph): give one 'u v' per line")
    if len(pairs) > MAX_PAIRS:
        raise UsageError(
            f"the edge list has {len(pairs):,} lines; a typed list holds up to {MAX_PAIRS:,} "
            "(use a generated graph for scale)"
        )
    return tuple(pairs)


def edge_list_spec(text: str, directed: bool = False) -> GraphSpec:
    """The suite's spec for the edge list in `text` (`directed`: `u v` is an edge u -> v);
    a UsageError, before any work, for a bad line or an empty graph."""
    pairs = parse_edge_list(text)
    edge_list_nodes(pairs)  # refuses a list of self-loops alone
    return GraphSpec(EDGE_LIST, edges=len(pairs), directed=directed, pairs=pairs)


def edge_list_nodes(pairs: Sequence[tuple[str, str]]) -> tuple[list[str], list[int], list[int]]:
    """(node names in first-seen order, source indices, target indices) of `pairs`; a list
    whose every edge is a self-loop is an empty graph."""
    if all(u == v for u, v in pairs):
        raise UsageError(
            "the edge list has no edges once self-loops are dropped (an empty graph): "
            "give at least one 'u v' with u != v"
        )
    index: dict[str, int] = {}
    for u, v in pairs:
        index.setdefault(u, len(index))
        index.setdefault(v, len(index))
    src = [index[u] for u, _ in pairs]
    dst = [index[v] for _, v in pairs]
    return list(index), src, dst
