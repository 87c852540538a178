"""Exporting a run: results as JSON and CSV, charts as PNG or SVG (through vl-convert)."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from .display import history_rows
from .requirements import require_chart_export
from .suite import SuiteResult


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def results_dict(result: SuiteResult) -> dict[str, Any]:
    """Config, per-run test metrics, summary with intervals, verdicts and the cross-domain table."""
    runs = [
        {
            "run": r.key,
            "domain": r.domain,
            "model": r.model,
            "seed": r.seed,
            "epochs": len(r.history),
            "best_epoch": r.best_epoch,
            "stopped": r.stopped,
            "resumed_from": r.resumed_from,
            "graphs_per_s": r.graphs_per_s,
            "test": r.test.to_dict() if r.test else None,
        }
        for r in result.runs
    ]
    return _clean(
        {
            "config": result.config.to_dict(),
            "device": result.device,
            "stopped": result.stopped,
            "seconds": result.seconds,
            "balance": result.balance,
            "runs": runs,
            "summary": result.summary(),
            "verdicts": result.verdicts(),
            "cross_domain": result.cross_domain,
        }
    )


def results_json(result: SuiteResult) -> str:
    return json.dumps(results_dict(result), indent=2)


def history_csv(result: SuiteResult) -> str:
    """Every epoch of every run as CSV."""
    rows = history_rows(result)
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def chart_bytes(chart: Any, fmt: str) -> bytes:
    """An altair chart rendered to "png" or "svg" without a browser."""
    require_chart_export()
    import vl_convert

    spec = chart.to_json()
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=2)
    raise ValueError(f"unknown chart format {fmt!r} (png or svg)")
