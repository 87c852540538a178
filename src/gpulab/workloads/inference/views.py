"""The ladder as a notebook shows it: headline figures and narrow tables, one format per figure.

A figure appears in several places (a stat card, a table, a chart label), so each kind is formatted
here once and the card and the table agree to the digit. Every latency comes with its spread, and
every figure built from a noisy timing (p99 far above the median: something else was using the
machine) says so beside the number. Pure data: no marimo, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpulab.timing import format_seconds
from gpulab.workloads.inference.results import LadderResult, RungResult


def format_rate(samples_per_s: float | None) -> str:
    """Samples/s as every view shows it: whole numbers with separators, 3 figures below 100."""
    if samples_per_s is None:
        return "-"
    return f"{samples_per_s:,.0f}" if samples_per_s >= 100 else f"{samples_per_s:.3g}"


def format_ratio(ratio: float | None, noise: str = "") -> str:
    """A speed-up as every view shows it (`2.41×`), marked `(noisy)` when a timing behind it is."""
    if ratio is None:
        return "-"
    return f"{ratio:.2f}×" + (" (noisy)" if noise else "")


def noisy_rungs(*rungs: RungResult | None) -> list[RungResult]:
    """The rungs among these (each once) whose timing is noisy."""
    noisy: list[RungResult] = []
    for rung in rungs:
        if rung is not None and rung.noisy and all(rung is not seen for seen in noisy):
            noisy.append(rung)
    return noisy


def ratio_noise(*rungs: RungResult | None) -> str:
    """'' when every timing behind a figure is clean, else which ones are noisy and how much."""
    notes = [f"{r.rung} {r.noise_note().removeprefix('noisy: ')}" for r in noisy_rungs(*rungs)]
    return "noisy: " + "; ".join(notes) if notes else ""


def clean_spread(rung: RungResult) -> str:
    """The median with its p10-p90 spread, without the noise note (shown apart)."""
    return rung.spread().removesuffix(rung.noise_note()).rstrip()


@dataclass(frozen=True)
class Figure:
    """One headline number: what it is, its value as shown, what it rests on, its noise."""

    label: str
    value: str  # marked "(noisy)" when a timing behind it is noisy
    caption: str
    noisy: tuple[str, ...] = ()  # the rungs with a noisy timing behind this figure

    @property
    def full_caption(self) -> str:
        """The caption, ending with the noisy rungs behind the figure (`noise_warning` says more)."""
        if not self.noisy:
            return self.caption
        return f"{self.caption} · noisy timing: {', '.join(self.noisy)}"


def headline_figures(result: LadderResult) -> list[Figure]:
    """The best verified rung, its speed-up over eager FP32 and how it splits; [] without one."""
    best, eager = result.best_verified(), result.get("eager-fp32")
    if best is None or eager is None or not eager.ok or not eager.samples_per_s:
        return []
    base = result.get(best.baseline or "")
    base = base if base is not None and base.ok and base.samples_per_s else None
    where = "on the CPU" if eager.device == "cpu" else f"on {result.device}"
    gain = base.samples_per_s / eager.samples_per_s if base and base.samples_per_s else None

    def figure(label: str, ratio: float | None, caption: str, *behind: RungResult | None) -> Figure:
        names = tuple(r.rung for r in noisy_rungs(*behind)) if ratio is not None else ()
        return Figure(label, format_ratio(ratio, ", ".join(names)), caption, names)

    return [
        Figure(
            f"best verified rung: {best.rung}",
            f"{format_rate(best.samples_per_s)} samples/s" + (" (noisy)" if best.noisy else ""),
            f"p50 per batch of {result.config.batch}: {clean_spread(best)}",
            (best.rung,) if best.noisy else (),
        ),
        figure(
            "vs eager IEEE FP32",
            best.speedup_vs_fp32,
            f"eager FP32 {where}: {format_rate(eager.samples_per_s)} samples/s",
            best,
            eager,
        ),
        figure(
            f"of which precision ({best.precision} eager vs fp32)",
            gain,
            "what changing the number format alone bought",
            base,
            eager,
        ),
        figure(
            "precision-matched",
            best.speedup_matched,
            f"{best.rung} vs {best.baseline} eager: the optimisations proper",
            best,
            base,
        ),
    ]


def noise_warning(result: LadderResult) -> str:
    """A paragraph for above the results when any measured rung's timing is noisy; else ''."""
    noisy = ratio_noise(*(r for r in result.rungs if r.ok))
    if not noisy:
        return ""
    return (
        f"**Noisy timings** ({noisy.removeprefix('noisy: ')}). Something else was using the "
        "machine while these rungs were timed, so their medians, and every ratio built from "
        "them (marked *(noisy)*), are less certain than they look. Run the ladder again on a "
        "quiet machine before trusting them."
    )


def _measured(result: LadderResult) -> list[RungResult]:
    return [r for r in result.rungs if r.ok and r.timing is not None]


def timing_rows(result: LadderResult) -> list[dict[str, Any]]:
    """Latency per batch with its spread and noise flag, and throughput, per measured rung."""
    rows = []
    for r in _measured(result):
        timing = r.timing
        assert timing is not None
        rows.append(
            {
                "rung": r.rung,
                "p50 per batch": format_seconds(timing.median_s),
                "p10-p90": f"{format_seconds(timing.p10_s)}-{format_seconds(timing.p90_s)}",
                "p99": format_seconds(timing.p99_s),
                "noise": r.noise_note() or "clean",
                "runs": timing.repeats,
                "samples/s": format_rate(r.samples_per_s),
            }
        )
    return rows


def speedup_rows(result: LadderResult) -> list[dict[str, Any]]:
    """The three speed-ups, compile time and memory per measured rung, noisy ratios marked."""
    rows = []
    for r in _measured(result):
        eager, base, step = (result.get(n or "") for n in ("eager-fp32", r.baseline, r.builds_on))
        rows.append(
            {
                "rung": r.rung,
                "precision": r.precision,
                "vs eager fp32": format_ratio(r.speedup_vs_fp32, ratio_noise(r, eager)),
                "precision-matched": format_ratio(r.speedup_matched, ratio_noise(r, base)),
                "this step": format_ratio(r.speedup_step, ratio_noise(r, step)),
                "compile s": "-" if r.compile_s is None else f"{r.compile_s:.1f}",
                "peak MiB": "-" if r.peak_memory_mib is None else f"{r.peak_memory_mib:,.0f}",
            }
        )
    return rows


def drift_rows(result: LadderResult) -> list[dict[str, Any]]:
    """How far each measured rung's output is from the FP32 reference, and whether it counts."""
    rows = []
    for r in _measured(result):
        drift = r.drift
        top1 = drift.top1_agreement if drift else None
        rows.append(
            {
                "rung": r.rung,
                "max |diff|": f"{drift.max_abs_diff:.2e}" if drift else "-",
                "rel. error": f"{drift.relative_error_max:.1e}" if drift else "-",
                "cosine (worst)": f"{drift.cosine_min:.6f}" if drift else "-",
                "top-1 agree": "-" if top1 is None else f"{top1:.3f}",
                "verified": "yes" if r.verified else "NO",
            }
        )
    return rows


def status_lines(result: LadderResult) -> list[str]:
    """One Markdown bullet per rung: what ran it, or why it was skipped or failed."""
    lines = []
    for r in result.rungs:
        what = r.backend if r.ok else r.reason
        lines.append(f"- **{r.rung}** ({r.status}): {what}")
    return lines
