"""What a run shows: the loss and throughput charts, the agreement, scaling and probe tables,
and the sentences that read them. Plain rows in, altair charts out; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .config import LABELS

CHART_WIDTH = 560


def series(strategy: str, world: int) -> str:
    return f"{LABELS[strategy]} x{world}"


def loss_chart(steps: Sequence[dict[str, Any]], title: str = "training loss per step") -> Any:
    """Rank 0's global-batch loss per step, one line per (strategy, world size)."""
    import altair as alt

    rows = [{"step": s["step"] + 1, "loss": s["loss"], "run": series(s["strategy"], s["world"])}
            for s in steps]  # fmt: skip
    return (
        alt.Chart(alt.Data(values=rows), title=title)
        .mark_line(point=True, strokeWidth=1.5)
        .encode(
            x=alt.X("step:Q", title="optimiser step"),
            y=alt.Y(
                "loss:Q", title="loss (mean over the global batch)", scale=alt.Scale(zero=False)
            ),
            color=alt.Color("run:N", legend=alt.Legend(orient="bottom", title=None)),
            strokeDash=alt.StrokeDash("run:N", legend=None),
        )
        .properties(width=CHART_WIDTH, height=220)
    )


def throughput_chart(rows: Sequence[dict[str, Any]]) -> Any:
    """Samples/s per strategy against world size."""
    import altair as alt

    values = [{"world": r["world"], "samples/s": r["samples_per_s"], "strategy": LABELS[r["strategy"]]}
              for r in rows]  # fmt: skip
    return (
        alt.Chart(alt.Data(values=values), title="throughput (samples/s, median step)")
        .mark_line(point=True)
        .encode(
            x=alt.X("world:O", title="world size (ranks)"),
            y=alt.Y("samples/s:Q"),
            color=alt.Color("strategy:N", legend=alt.Legend(orient="bottom", title=None)),
        )
        .properties(width=CHART_WIDTH, height=200)
    )


def _pct(value: float | None) -> str:
    return "n/a (no 1-rank run)" if value is None else f"{100 * value:.1f} %"


def scaling_table(scaling: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per run: batch split, samples/s, efficiency, memory per rank (kept narrow)."""
    table = []
    for row in scaling:
        peak = row["peak_gib_per_rank"]
        table.append({
            "run": series(row["strategy"], row["world"]),
            "batch / rank, global": f"{row['per_rank_batch']}, {row['global_batch']}",
            "samples/s": f"{row['samples_per_s']:,.1f}", "efficiency": _pct(row["efficiency"]),
            "peak memory / rank": "n/a on the CPU" if peak is None else f"{peak:.2f} GiB",
        })  # fmt: skip
    return table


def timing_table(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Step time per run: median, p10-p90 spread, repeats and the noisy flag."""
    from gpulab.timing import Timing

    return [{"run": series(r["strategy"], r["world"]),
             "step time (warm)": Timing(r["timing"]["samples_s"], r["timing"]["method"],
                                        r["timing"]["warmup"]).spread()}
            for r in runs]  # fmt: skip


def agreement_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"run": series(r["strategy"], r["world"]), "against": r["reference"],
             "max relative loss difference": f"{r['max_rel_diff']:.2e}",
             "tolerance": f"{r['tolerance']:.0e}", "agrees": "yes" if r["agrees"] else "NO"}
            for r in rows]  # fmt: skip


def probe_table(probes: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """The all-reduce probe per world size: bus bandwidth, or why it did not run."""
    rows = []
    for world, probe in sorted(probes.items(), key=lambda item: int(item[0])):
        size = f"{probe.get('bytes', 0) / 2**20:.1f} MiB"
        if not probe.get("ran"):
            rows.append({"world": int(world), "size": size, "bus bandwidth": "skipped",
                         "why / backend": probe.get("reason", "no probe result")})  # fmt: skip
            continue
        rows.append({"world": int(world), "size": size,
                     "bus bandwidth": f"{probe['bus_gb_per_s']:.2f} GB/s",
                     "why / backend": f"{probe['backend']}, median {probe['timing']['median_s'] * 1e3:.2f} ms"})  # fmt: skip
    return rows


def meaning_lines(result: dict[str, Any]) -> list[str]:
    """What the numbers say, computed from this run."""
    lines = []
    bad = [r for r in result["agreement"] if not r["agrees"]]
    lines.append(
        "Every strategy's loss curve matches the reference within tolerance: the same global "
        "batch and seed give the same training, however it is split."
        if not bad else f"{len(bad)} run(s) disagree with the reference beyond tolerance."
    )  # fmt: skip
    for row in result["scaling"]:
        if row["world"] > 1 and row["efficiency"] is not None:
            lines.append(f"{LABELS[row['strategy']]} at {row['world']} ranks: "
                         f"{100 * row['efficiency']:.0f} % scaling efficiency "
                         f"({row['speedup']:.2f}x the throughput of 1 rank).")  # fmt: skip
    if result["device"] == "cpu":
        lines.append("These ranks are CPU processes on gloo: the timings compare CPU with CPU and "
                     "say nothing about GPUs.")  # fmt: skip
    return lines
