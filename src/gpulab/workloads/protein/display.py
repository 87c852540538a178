"""Charts and table rows the notebook shows (altair imported inside each function)."""

from __future__ import annotations

from typing import Any

WIDTH = 300  # two charts side by side stay under 640 px


def contact_chart(contacts: Any, title: str) -> Any:
    """Residue contact map as a heat map (contacts only, to keep the data small)."""
    import altair as alt
    import numpy as np

    i, j = np.nonzero(contacts)
    data = [{"i": int(a) + 1, "j": int(b) + 1} for a, b in zip(i, j, strict=True)]
    return (
        alt.Chart(alt.Data(values=data), title=title)
        .mark_square(size=6, color="#1f77b4")
        .encode(x=alt.X("i:Q", title="residue"), y=alt.Y("j:Q", title="residue"))
        .properties(width=WIDTH, height=WIDTH)
    )


def ramachandran_chart(phi: Any, psi: Any, sse: str, title: str) -> Any:
    """phi/psi scatter coloured by P-SEA's state (legend at the bottom)."""
    import altair as alt
    import numpy as np

    names = {"a": "helix", "b": "strand", "c": "coil"}
    data = [
        {"phi": float(f), "psi": float(s), "state": names.get(c, "coil")}
        for f, s, c in zip(phi, psi, sse, strict=True)
        if np.isfinite(f) and np.isfinite(s)
    ]
    axis = alt.Scale(domain=[-180, 180])
    return (
        alt.Chart(alt.Data(values=data), title=title)
        .mark_circle(size=18)
        .encode(
            x=alt.X("phi:Q", scale=axis, title="phi (°)"),
            y=alt.Y("psi:Q", scale=axis, title="psi (°)"),
            color=alt.Color("state:N", legend=alt.Legend(orient="bottom")),
        )
        .properties(width=WIDTH, height=WIDTH)
    )


def deviation_chart(deviation: Any, title: str) -> Any:
    """Per-residue CA deviation after superposition."""
    import altair as alt

    data = [{"residue": i + 1, "deviation": float(d)} for i, d in enumerate(deviation)]
    return (
        alt.Chart(alt.Data(values=data), title=title)
        .mark_line()
        .encode(x="residue:Q", y=alt.Y("deviation:Q", title="CA deviation (Å)"))
        .properties(width=2 * WIDTH, height=180)
    )


def rmsd_heatmap(matrix: Any, cells: int = 48) -> Any:
    """The pairwise RMSD matrix, every k-th conformation so the chart stays small."""
    import altair as alt

    step = max(1, matrix.shape[0] // cells)
    picked = range(0, matrix.shape[0], step)
    data = [{"i": i, "j": j, "rmsd": float(matrix[i, j])} for i in picked for j in picked]
    return (
        alt.Chart(alt.Data(values=data), title=f"pairwise RMSD (Å), every {step}-th")
        .mark_rect()
        .encode(
            x=alt.X("i:O", title="conformation", axis=None),
            y=alt.Y("j:O", title="conformation", axis=None),
            color=alt.Color("rmsd:Q", legend=alt.Legend(orient="bottom")),
        )
        .properties(width=WIDTH, height=WIDTH)
    )


def esm_chart(rows: list[dict[str, Any]]) -> Any:
    """Seconds per structure against sequence length, as each length finishes."""
    import altair as alt

    data = [{"length": r["length"], "seconds": r["seconds"]} for r in rows if r.get("fits")]
    return (
        alt.Chart(alt.Data(values=data), title="ESMFold seconds per structure")
        .mark_line(point=True)
        .encode(x=alt.X("length:Q", title="residues"), y=alt.Y("seconds:Q", title="s"))
        .properties(width=2 * WIDTH, height=200)
    )


def esm_table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per length: median with spread and ⚠ when noisy, peak memory or why not."""
    table = []
    for row in rows:
        if not row["fits"]:
            table.append({"length": row["length"], "s/structure": "—", "note": row["note"]})
            continue
        peak = row["peak_bytes"]
        table.append(
            {
                "length": row["length"],
                "s/structure": f"{row['seconds']:.3f}{' ⚠' if row['noisy'] else ''}",
                "spread": row["spread"],
                "peak GiB": "CPU: not tracked" if peak is None else f"{peak / 2**30:.2f}",
                "note": "",
            }
        )
    return table
