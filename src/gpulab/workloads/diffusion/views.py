"""What the notebook shows of a ladder run: narrow tables, chart points, headline sentences."""

from __future__ import annotations

from typing import Any

from gpulab.timing import format_seconds

from .results import LadderResult, RungResult


def _ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value else "–"


def _drift(row: RungResult) -> str:
    if row.drift is None:
        return "–"
    if row.rung == "default":
        return "reference (" + row.drift.describe().split(",")[0] + " on a 2nd call)"
    return row.drift.describe()


SPEED, CHECK = "speed", "check"


def ladder_rows(result: LadderResult, lossy: bool, part: str = SPEED) -> list[dict[str, Any]]:
    """One row per rung of one kind, every row with the same columns. `speed`: s/image with
    spread, it/s, speed-up, and why a rung did not run; `check` (rungs that ran): compile
    time, peak memory, drift from the default's image. Two narrow tables, not one wide one."""
    rungs = [r for r in result.rungs if r.lossy == lossy]
    if part == SPEED:
        return [_speed_row(result, row) for row in rungs]
    return [_check_row(row) for row in rungs if row.ran]


def _speed_row(result: LadderResult, row: RungResult) -> dict[str, Any]:
    ran = row.ran
    return {
        "rung": row.label,
        "s / image": format_seconds(row.s_per_image or 0) + _noisy(row) if ran else "–",
        "p10-p90 (call)": _spread(row),
        "it/s": f"{row.it_per_s:.2f}" if ran else "–",
        "vs default": _ratio(result.speedup(row)),
        "steps": row.steps,
        "note": "" if ran else row.reason or row.status,
    }


def _check_row(row: RungResult) -> dict[str, Any]:
    verdict = {True: "✓ matches", False: "✗ drifted", None: "lossy"}[row.verified]
    return {
        "rung": row.label,
        "compile": format_seconds(row.compile_s) if row.compile_s is not None else "–",
        "peak MiB": f"{row.peak_mib:,.0f}" if row.peak_mib is not None else "–",
        "vs default's image": _drift(row),
        "verdict": verdict,
    }


def _noisy(row: RungResult) -> str:
    return " ⚠" if row.timing is not None and row.timing.noisy else ""


def _spread(row: RungResult) -> str:
    timing = row.timing
    if timing is None:
        return "–"
    text = f"{format_seconds(timing.p10_s)}–{format_seconds(timing.p90_s)} ({timing.repeats})"
    return text + (f" {timing.noise_note()}" if timing.noisy else "")


def chart_points(result: LadderResult) -> list[dict[str, Any]]:
    """s/image per rung that ran, for the bar chart (lossy ones marked)."""
    return [
        {
            "rung": row.label,
            "s_per_image": row.s_per_image,
            "kind": "lossy" if row.lossy else "lossless",
            "order": index,
        }
        for index, row in enumerate(result.rungs)
        if row.ran
    ]


def headline(result: LadderResult) -> str:
    """The best lossless and lossy rungs against the default, in one paragraph."""
    base, best, lossy = result.default, result.best(False), result.best(True)
    if base is None or not base.ran:
        return "The default rung did not run, so nothing is compared."
    where = f"on `{result.device}` ({result.dtype})"
    text = f"The default takes **{format_seconds(base.s_per_image or 0)} per image** {where}."
    if best is not None and best.rung != "default":
        text += (
            f" The best lossless rung, **{best.label}**, takes "
            f"{format_seconds(best.s_per_image or 0)}: **{_ratio(result.speedup(best))}** the "
            f"default's speed, its images {_drift(best)} from the default's."
        )
    else:
        text += " No lossless rung beat the default here."
    if lossy is not None:
        text += (
            f" Apart, the fastest lossy rung, **{lossy.label}**, reaches "
            f"{_ratio(result.speedup(lossy))} with its images {_drift(lossy)} away: a "
            "different picture, not the same one faster."
        )
    if not result.device.startswith("cuda"):
        text += " These are CPU timings compared with CPU timings; the compiled rungs need a GPU."
    return text


def gallery_caption(settings: Any, scheduler: str, index: int) -> str:
    return (
        f"seed {settings.seed} (image {index + 1} of {settings.batch}) · {settings.steps} steps "
        f"· {scheduler} · guidance {settings.guidance:g} · {settings.width}x{settings.height}"
    )
