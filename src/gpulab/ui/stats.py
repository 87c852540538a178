"""A row of stat cards: the figures one step produced, bordered, in one wrapping line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# One card: mo.stat's arguments (value, label, and optionally caption, direction).
Stat = Mapping[str, Any]


def stat_row(stats: Mapping[str, Any] | Sequence[Stat]) -> Any:
    """`{label: value, ...}` or a list of mo.stat argument dicts, as one wrapping row of cards.

    Workloads return the figures as plain data (formatted once, so a card and a table show the
    same precision); this turns them into cards. A None caption or direction is left out.
    """
    import marimo as mo

    if isinstance(stats, Mapping):
        items: list[Stat] = [{"label": label, "value": value} for label, value in stats.items()]
    else:
        items = list(stats)
    cards = [
        mo.stat(bordered=True, **{key: value for key, value in item.items() if value is not None})
        for item in items
    ]
    return mo.hstack(cards, justify="start", wrap=True)
