"""The ladder as a plain-text table: what the bench prints and the device script logs."""

from __future__ import annotations

from gpulab.workloads.inference.results import LadderResult


def format_ladder(result: LadderResult) -> str:
    """The ladder as a plain-text table (what the bench and the device script print)."""

    def cell(value: float | None, width: int, spec: str, suffix: str = "") -> str:
        text = "-" if value is None else format(value, spec) + suffix
        return text.rjust(width)

    columns = [
        ("p50 ms", 9),
        ("p99 ms", 9),
        ("samples/s", 11),
        ("vs fp32", 10),
        ("matched", 10),
        ("step", 9),
        ("compile s", 10),
        ("peak MiB", 10),
        ("rel.err", 9),
        ("top-1", 7),
    ]
    header = f"{'rung':<17}{'prec':<6}" + "".join(name.rjust(w) for name, w in columns)
    lines = [
        f"{result.model_label} ({result.weights_label}) on {result.device}: "
        f"{result.config.input_label}, fast precision {result.config.fast_precision}",
        header + "  verified / status",
    ]
    for r in result.rungs:
        drift = r.drift
        if not r.ok:
            status = f"{r.status}: {r.reason}"
        elif r.verified:
            status = "verified"
        else:
            status = f"NOT verified: {drift.reason if drift else r.reason}"
        if r.noisy:
            status += f" ({r.noise_note()})"
        lines.append(
            f"{r.rung:<17}{r.precision:<6}"
            + cell(r.p50_ms, 9, ".3f")
            + cell(r.p99_ms, 9, ".3f")
            + cell(r.samples_per_s, 11, ".1f")
            + cell(r.speedup_vs_fp32, 10, ".2f", "x")
            + cell(r.speedup_matched, 10, ".2f", "x")
            + cell(r.speedup_step, 9, ".2f", "x")
            + cell(r.compile_s, 10, ".1f")
            + cell(r.peak_memory_mib, 10, ".0f")
            + cell(drift.relative_error_max if drift else None, 9, ".1e")
            + cell(drift.top1_agreement if drift else None, 7, ".3f")
            + f"  {status}"
        )
    best = result.best_verified()
    lines.append(f"best verified rung: {best.rung if best else 'none'}")
    return "\n".join(lines)
