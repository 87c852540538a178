"""Live telemetry panel: charts of a `TelemetrySampler`'s history, redrawn by `mo.ui.refresh`.

Use it in a cell that reads the refresh element, so marimo re-runs the cell on every tick:

    refresh = mo.ui.refresh(options=["1s", "2s", "5s"], default_interval="2s")
    ...
    refresh.value
    telemetry_panel(sampler)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from gpulab.telemetry import Sample, TelemetrySampler

METRICS: dict[str, str] = {
    "utilization_pct": "utilisation %",
    "memory_used_mib": "memory used MiB",
    "power_w": "power W",
    "temperature_c": "temperature °C",
    "sm_clock_mhz": "SM clock MHz",
}


def telemetry_records(
    samples: Sequence[Sample], metrics: Sequence[str] = tuple(METRICS), now: float | None = None
) -> list[dict[str, object]]:
    """Long-form rows (seconds ago, gpu, metric, value) for charting; NaN readings dropped."""
    now = time.monotonic() if now is None else now
    rows = []
    for sample in samples:
        for metric in metrics:
            value = getattr(sample, metric)
            if value == value:
                rows.append(
                    {
                        "seconds": round(sample.t - now, 2),
                        "gpu": f"GPU {sample.gpu}",
                        "metric": METRICS.get(metric, metric),
                        "value": value,
                    }
                )
    return rows


def telemetry_chart(
    samples: Sequence[Sample], metrics: Sequence[str] = tuple(METRICS), window_s: float = 300
) -> Any:
    """Small multiples, one per metric, over the last `window_s` seconds."""
    import altair as alt

    now = time.monotonic()
    recent = [s for s in samples if now - s.t <= window_s]
    data = alt.Data(values=telemetry_records(recent, metrics, now))
    return (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("seconds:Q", title="seconds (0 = now)", scale=alt.Scale(domain=[-window_s, 0])),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("gpu:N", title=None),
        )
        .properties(width=280, height=110)
        .facet(facet=alt.Facet("metric:N", title=None), columns=2)
        .resolve_scale(y="independent")
    )


def telemetry_panel(
    sampler: TelemetrySampler, metrics: Sequence[str] = tuple(METRICS), window_s: float = 300
) -> Any:
    """Latest values as stats, then the charts; a callout when NVML is unavailable."""
    import marimo as mo

    if not sampler.available:
        return mo.callout(
            mo.md(
                f"**Live telemetry unavailable.** {sampler.error}. Charts appear on NVIDIA GPUs."
            ),
            kind="info",
        )
    samples = sampler.samples()
    if not samples:
        return mo.md("_Waiting for the first telemetry sample..._")
    latest: dict[int, Sample] = {s.gpu: s for s in samples}
    stats = [
        mo.stat(
            value=f"{s.utilization_pct:.0f}%",
            label=f"GPU {s.gpu}",
            caption=(
                f"{s.memory_used_mib / 1024:.1f}/{s.memory_total_mib / 1024:.0f} GiB · {s.power_w:.0f} W · "
                f"{s.temperature_c:.0f} °C · {s.sm_clock_mhz:.0f} MHz"
                + (f" · {', '.join(s.throttle_reasons)}" if s.throttle_reasons else "")
            ),
            bordered=True,
        )
        for s in latest.values()
    ]
    return mo.vstack(
        [mo.hstack(stats, justify="start", wrap=True), telemetry_chart(samples, metrics, window_s)]
    )
