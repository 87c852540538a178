"""Column roles: which column plays which part in the queries, and what each operation needs.

The synthetic table has every role; a user's file may lack some, and the operations that need a
missing role are skipped with the reason shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Columns:
    """Which column plays which part in the queries; None = the data has no such column."""

    row_id: str = "id"
    key: str | None = "key"
    value: str | None = "x"
    value2: str | None = "y"
    text: str | None = "category"
    time: str | None = "ts"
    value_threshold: float = 0.0
    value2_threshold: float = 0.5


# The column roles each operation needs.
NEEDS: dict[str, tuple[str, ...]] = {
    "filter": ("value", "value2"),
    "groupby": ("key", "value", "value2"),
    "join": ("key",),
    "sort": ("text", "value"),
    "rolling": ("value",),
    "strings": ("text",),
    "resample": ("time", "value", "value2"),
    "read_parquet": (),
    "write_parquet": (),
}


@dataclass(frozen=True)
class Inputs:
    """What an operation may touch besides the frames: its column roles and file paths."""

    columns: Columns
    fact_path: str
    out_path: str
    read_options: dict[str, Any] = field(default_factory=dict)
