"""What a run shows: the PSNR-vs-time chart, the held-out view side by side, the orbit, the
summary figures and what they mean. Images become PNG bytes (pillow) for `mo.image`."""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .training import Curve

COLORS = {"ours (hash grid)": "#76b900", "vanilla NeRF": "#1f77b4", "mean colour": "#999999"}
LABELS = {"ours": "ours (hash grid)", "vanilla": "vanilla NeRF"}


def curve_points(curves: dict[str, Curve]) -> list[dict[str, Any]]:
    return [
        {"model": LABELS[name], "seconds": p["seconds"], "psnr": p["psnr"], "step": p["step"]}
        for name, curve in curves.items()
        for p in curve.points
    ]


def curve_chart(curves: dict[str, Curve], baseline: float | None = None, width: int = 560) -> Any:
    """Held-out PSNR (pixel subset) against training seconds, one line per model."""
    import altair as alt

    rows = curve_points(curves)
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("seconds:Q", title="training seconds"),
            y=alt.Y("psnr:Q", title="held-out PSNR (dB)", scale=alt.Scale(zero=False)),
            color=_model_colors(rows),
            tooltip=["model:N", "seconds:Q", "step:Q", "psnr:Q"],
        )
    )
    if baseline is not None and math.isfinite(baseline):
        rule = (
            alt.Chart(alt.Data(values=[{"psnr": baseline}]))
            .mark_rule(strokeDash=[4, 4], color=COLORS["mean colour"])
            .encode(y="psnr:Q")
        )
        chart = chart + rule
    return chart.properties(width=width, height=260, title="Held-out PSNR while training")


def _model_colors(rows: list[dict[str, Any]]) -> Any:
    """Each model in its own colour on every chart, the legend at the bottom."""
    import altair as alt

    names = [n for n in COLORS if any(r["model"] == n for r in rows)] or list(LABELS.values())
    scale = alt.Scale(domain=names, range=[COLORS[n] for n in names])
    return alt.Color("model:N", scale=scale, title=None, legend=alt.Legend(orient="bottom"))


def png(image: Any, size: int = 200) -> bytes:
    """An [H, W, 3] or [H, W] array in [0, 1] as PNG bytes, resized to `size` wide."""
    import numpy as np
    from PIL import Image

    array = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(array)
    height = max(1, round(size * picture.height / picture.width))
    picture = picture.resize((size, height), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def normalised_depth(depth: Any) -> Any:
    import numpy as np

    finite = depth[np.isfinite(depth)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    return 1 - (depth - lo) / max(hi - lo, 1e-6)


def view_panels(views: dict[str, Any]) -> list[tuple[str, bytes]]:
    """(caption, PNG) for ground truth | ours | vanilla | error x4 | ours' depth."""
    return [
        ("ground truth", png(views["truth"])),
        ("ours", png(views["ours"])),
        ("vanilla NeRF", png(views["vanilla"])),
        ("|ours - truth| x 4", png(views["error"] * 4)),
        ("|vanilla - truth| x 4", png(views["vanilla_error"] * 4)),
        ("ours' depth (near: light)", png(normalised_depth(views["ours_depth"]))),
    ]


def image_row(views: dict[str, Any]) -> Any:
    import marimo as mo

    items = [
        mo.vstack([mo.image(data, width=150), mo.md(caption)])
        for caption, data in view_panels(views)
    ]
    rows = [mo.hstack(items[i : i + 3], justify="start", wrap=True) for i in (0, 3)]
    return mo.vstack(rows)


def orbit_strip(frames: list[Any]) -> Any:
    import marimo as mo

    return mo.hstack([mo.image(png(f, 120), width=120) for f in frames], justify="start", wrap=True)


def summary_rows(result: Any) -> list[dict[str, Any]]:
    """One row per model: held-out PSNR over all held-out views, the best point of its curve,
    training seconds, steps, steps/s, time to 30 dB, what stopped it (short headers: the table
    fits a medium-width page)."""
    rows = []
    for name, curve in result.curves.items():
        reached = curve.time_to(30.0)
        rows.append(
            {
                "model": LABELS[name],
                "held-out dB": round(result.test_psnr[name], 2),
                "best curve dB": round(curve.best, 2),
                "train s": round(curve.seconds, 1),
                "steps": curve.steps,
                "steps/s": round(curve.steps / max(curve.seconds, 1e-9), 1),
                "to 30 dB": f"{reached:.1f} s" if reached is not None else "not reached",
                "stopped by": curve.stopped,
            }
        )
    return rows


def meaning_text(result: Any) -> str:
    """What the figures of this run say, from the figures themselves."""
    ours, vanilla = result.curves["ours"], result.curves["vanilla"]
    target = vanilla.best
    ours_t, van_t = ours.time_to(target), vanilla.time_to_best()
    lines = [
        f"- Held-out PSNR over all {result.stats['test_views']} held-out views: ours "
        f"**{result.test_psnr['ours']:.2f} dB**, vanilla **{result.test_psnr['vanilla']:.2f} dB**"
        f"; predicting the mean training colour scores {result.baseline_psnr:.2f} dB.",
    ]
    if ours_t is not None and van_t:
        lines.append(
            f"- Vanilla's best curve point, {target:.2f} dB, came after {van_t:.1f} s of its "
            f"training; ours reached it after {ours_t:.1f} s: **{van_t / max(ours_t, 1e-9):.1f}x** "
            "less training time, on this device."
        )
    else:
        lines.append(
            f"- Ours did not reach vanilla's best curve point ({target:.2f} dB) in this run: "
            "no time ratio."
        )
    lines.append(
        f"- Ours evaluated its field on {100 * result.stats['samples_evaluated_fraction']:.0f} % "
        "of the samples it marched at render time (the occupancy grid holds "
        f"{100 * result.stats['occupied_fraction']:.0f} % of the box as occupied; early "
        "termination drops the rest)."
    )
    captures, error = result.stats.get("ours_graph_captures"), result.stats.get("ours_graph_error")
    if error:
        lines.append(f"- Ours' step ran eagerly: the CUDA graph was not used ({error[:200]}).")
    elif captures:
        lines.append(
            f"- Ours' step was replayed from a CUDA graph, captured {captures} times (once per "
            "evaluated-sample capacity as the occupied space shrank)."
        )
    if result.device == "cpu":
        lines.append(
            "- This ran on the CPU at smoke sizes: the times compare CPU with CPU and say "
            "nothing about a GPU."
        )
    return "\n".join(lines)
