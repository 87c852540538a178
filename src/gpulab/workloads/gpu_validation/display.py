"""What the notebook's stat cards and tables show, as plain data: short columns that fit a
1280 px page, and every rate through `results.format_rate`, so a stat card and a table row print
the same figure with the same digits. No marimo here: the notebook wraps these in `mo.stat` and
`mo.ui.table`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gpulab.device import SystemInfo
from gpulab.workloads.gpu_validation.burst import BurstSustained
from gpulab.workloads.gpu_validation.results import (
    MatmulResult,
    Result,
    describe_value,
    format_rate,
    rate_spread,
)
from gpulab.workloads.gpu_validation.stress import StressRun
from gpulab.workloads.gpu_validation.stress_report import DeviceStress, StressSummary
from gpulab.workloads.gpu_validation.summary import ValidationSummary
from gpulab.workloads.gpu_validation.topology import Topology


def describe_ceiling(result: Result) -> str:
    """'80.0 % of 989.4 TFLOPS (datasheet)'; '' when no ceiling is known."""
    share = result.pct_of_peak
    peak = result.peak_tflops if isinstance(result, MatmulResult) else result.peak_gbs
    if share is None or not peak:
        return ""
    name = "datasheet" if isinstance(result, MatmulResult) else result.peak_name or "ceiling"
    return f"{share:.1f} % of {format_rate(peak)} {result.unit} ({name})"


def stat_figures(result: Result) -> tuple[str, str]:
    """(value, caption) of a result's stat card: the table's median, ceiling, spread and noise."""
    spread = rate_spread(result)
    parts = [
        f"p10-p90 {format_rate(spread[0])}-{format_rate(spread[1])}" if spread else "",
        describe_ceiling(result),
        result.noise,
    ]
    return describe_value(result), " · ".join(p for p in parts if p)


def headline_figures(summary: ValidationSummary) -> list[tuple[str, str, str]]:
    """(label, value, caption) of each stat card: the best size per format, the copy and the
    transfers that were measured, and the CPU peer."""
    cards: list[tuple[str, Result]] = [
        (f"{r.dtype} matmul (best n={r.size})", r) for r in summary.best_matmul.values()
    ]
    cards += [
        (bw.label, bw)
        for bw in [summary.copy, *summary.transfers]
        if bw is not None and bw.gbs is not None
    ]
    cpu = summary.cpu_matmul
    if cpu is not None and cpu.tflops:
        cards.append((f"CPU peer: fp32 matmul n={cpu.size}", cpu))
    return [(label, *stat_figures(result)) for label, result in cards]


def meaning_lines(summary: ValidationSummary) -> list[str]:
    """Markdown bullets for what a run's figures mean: each format's best against its datasheet,
    the copy against its ceiling, and the best GPU format against the CPU peer (a GPU run only:
    on a CPU the ratio would compare the CPU with itself)."""
    lines = [
        f"- **{dtype}** reached {describe_ceiling(r)} at n={r.size}"
        + (f" ({r.clocks.describe()})." if r.clocks else ".")
        for dtype, r in summary.best_matmul.items()
        if r.pct_of_peak is not None
    ]
    copy = summary.copy
    if copy is not None and copy.pct_of_peak is not None:
        lines.append(
            f"- **Device memory copy** moved {format_rate(copy.gbs)} GB/s, "
            f"{describe_ceiling(copy)}."
        )
    cpu = summary.cpu_matmul
    best = max(summary.best_matmul.values(), key=lambda r: r.tflops or 0, default=None)
    if cpu and cpu.tflops and best and best.tflops and best.device != "cpu":
        lines.append(
            f"- The best GPU format ({best.dtype}) ran {best.tflops / cpu.tflops:,.0f}× the "
            "CPU's fp32 matmul in this run."
        )
    return lines


def stress_figures(stats: DeviceStress) -> tuple[str, str]:
    """(value, caption) of a device's stress card: sustained TFLOPS, checks and its range."""
    value = (
        f"{format_rate(stats.sustained_tflops)} TFLOPS" if stats.sustained_tflops else "starting"
    )
    parts = [f"{stats.checks} checks · {stats.mismatches} mismatches"]
    if stats.min_tflops is not None and stats.max_tflops is not None:
        low, high = format_rate(stats.min_tflops), format_rate(stats.max_tflops)
        parts.append(f"intervals {low}-{high}")
    parts.extend(stats.errors[:1])
    return value, " · ".join(parts)


def stress_verdict(run: StressRun, summary: StressSummary) -> tuple[str, str | None]:
    """(Markdown, callout kind) of a stress run's state: kind None while it runs, then 'success'
    or 'danger' with the checks, mismatches, how it ended and what is left of its group."""
    if run.running:
        return (
            f"**Running** for {run.elapsed_s():.0f} s of {run.config.duration_s:g} s · "
            f"PID {run.pid}",
            None,
        )
    verdict = "Passed" if summary.passed else "Failed"
    text = (
        f"**{verdict}**: {summary.checks} checks, {summary.mismatches} mismatches, "
        f"{len(summary.errors)} device errors; {summary.ended} after {run.elapsed_s():.0f} s. "
        f"Processes left in group {run.pgid}: {len(run.leftover_processes())}."
    )
    if summary.errors:
        text += f"\n\n```\n{summary.errors[0]}\n```"
    return text, "success" if summary.passed else "danger"


def inventory_rows(system: SystemInfo) -> list[dict[str, Any]]:
    """One short row per GPU: what it is, its modes, and its datasheet ceilings."""
    return [
        {
            "GPU": gpu.index,
            "name": gpu.name.replace("NVIDIA ", ""),
            "GiB": round(gpu.memory_total_mib / 1024, 1),
            "cc": ".".join(map(str, gpu.compute_capability or ())) or "?",
            "arch": gpu.architecture,
            "SMs": gpu.sm_count,
            "MIG / ECC": f"{_on(gpu.mig_enabled)} / {_on(gpu.ecc_enabled)}",
            "datasheet": gpu.datasheet.model if gpu.datasheet else "unknown",
            "bf16 TFLOPS": gpu.datasheet.bf16 if gpu.datasheet else None,
            "GB/s": gpu.datasheet.bandwidth_gbs if gpu.datasheet else None,
        }
        for gpu in system.gpus
    ]


def link_rows(topology: Topology) -> list[dict[str, Any]]:
    """How each GPU is attached: PCI bus, NUMA node, PCIe link at best and now, NVLinks up."""
    return [
        {
            "GPU": gpu.index,
            "PCI bus": gpu.pci_bus_id,
            "NUMA": gpu.numa_node,
            "PCIe (max)": gpu.pcie.label if gpu.pcie else "?",
            "PCIe now": f"gen{gpu.pcie.generation} x{gpu.pcie.width}" if gpu.pcie else "?",
            "NVLinks up": f"{len(gpu.active_nvlinks)}/{len(gpu.nvlinks)}",
        }
        for gpu in topology.gpus
    ]


def health_rows(topology: Topology) -> list[dict[str, Any]]:
    """Each GPU's memory health: MIG and ECC modes now and pending, uncorrectable errors."""
    return [
        {
            "GPU": gpu.index,
            "MIG now / pending": f"{gpu.mig_current} / {gpu.mig_pending}",
            "ECC now / pending": f"{gpu.ecc_current} / {gpu.ecc_pending}",
            "uncorrectable ECC": gpu.ecc_uncorrected_volatile,
            "problems": "; ".join(gpu.problems()) or "none",
        }
        for gpu in topology.gpus
    ]


def stress_telemetry_rows(telemetry: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """One short row per GPU of `telemetry_during`'s figures (steady utilisation, maxima)."""
    return [
        {
            "GPU": gpu,
            "util % mean / min": f"{_num(t['utilization_mean_pct'])} / "
            f"{_num(t['utilization_min_pct'])}",
            "SM MHz": _num(t["sm_clock_mean_mhz"]),
            "power W mean / max": f"{_num(t['power_mean_w'])} / {_num(t['power_max_w'])}",
            "max °C": _num(t["temperature_max_c"]),
            "throttled by": ", ".join(t["throttle_reasons_seen"]) or "nothing",
        }
        for gpu, t in telemetry.items()
    ]


def results_table(results: Iterable[Result]) -> list[dict[str, str]]:
    """Every result's `table_row()`, without the columns no row fills (no ceiling on a CPU)."""
    rows = [r.table_row() for r in results]
    empty = {key for key in (rows[0] if rows else {}) if not any(row[key] for row in rows)}
    return [{k: v for k, v in row.items() if k not in empty} for row in rows]


def clock_rows(results: Iterable[Result]) -> list[dict[str, str]]:
    """The SM clock, power and slowdowns each GPU matmul ran at (none on a CPU)."""
    return [
        {"test": r.test, "size": f"{r.size}³", "clock and power while timed": r.clocks.describe()}
        for r in results
        if isinstance(r, MatmulResult) and r.clocks is not None
    ]


def _on(flag: bool | None) -> str:
    return "?" if flag is None else ("on" if flag else "off")


def _num(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def burst_rows(results: list[BurstSustained]) -> list[dict[str, Any]]:
    """Two rows per format, burst then sustained: TFLOPS, % of datasheet, clock, power, and % of
    the peak at that clock (narrow columns: the table fits a medium-width page)."""
    rows: list[dict[str, Any]] = []
    for r in results:
        if r.skipped or r.burst is None or r.sustained is None:
            rows.append({"format": r.dtype, "window": "–", "note": r.skipped or "not run"})
            continue
        for window, phase, sheet_pct in (
            ("burst", r.burst, r.burst_pct_of_datasheet),
            (f"{r.sustained.seconds:.1f} s", r.sustained, r.sustained_pct_of_datasheet),
        ):
            clocks = phase.clocks
            rows.append(
                {
                    "format": r.dtype,
                    "window": window,
                    "TFLOPS": format_rate(phase.tflops),
                    "% sheet": _pct(sheet_pct),
                    "SM MHz": f"{clocks.sm_clock_mhz:.0f}" if clocks else "–",
                    "W": f"{clocks.power_median_w or 0:.0f}"
                    if clocks and window != "burst"
                    else "–",
                    "% clock peak": _pct(phase.pct_of_peak_at_clock),
                }
            )
    return rows


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def burst_meaning(results: list[BurstSustained]) -> str:
    """What this run's burst/sustained pairs say, one line per measured format."""
    lines = []
    for r in results:
        if r.burst is None or r.sustained is None:
            continue
        drop = 100 * (1 - r.sustained.tflops / r.burst.tflops) if r.burst.tflops else 0.0
        change = f"{drop:.0f} % lower" if drop >= 0 else f"{-drop:.0f} % higher"
        line = (
            f"- **{r.dtype}**: burst {format_rate(r.burst.tflops)} TFLOPS, sustained "
            f"{format_rate(r.sustained.tflops)} over {r.sustained.seconds:.1f} s ({change})"
        )
        at_clock = r.sustained.pct_of_peak_at_clock
        clocks = r.sustained.clocks
        if at_clock is not None and clocks is not None:
            held = ", ".join(clocks.slowdown_reasons) or "no slowdown reported"
            line += (
                f"; held at {clocks.sm_clock_mhz:.0f} MHz ({held}), that is {at_clock:.1f} % of "
                "the peak at that clock"
            )
        lines.append(line + "." + "".join(f" Note: {n}." for n in r.notes))
    if not lines:
        return ""
    note = (
        "A CPU has no datasheet or clock table here: these rates compare the CPU with itself."
        if all(r.burst and r.burst.clocks is None for r in results if r.burst)
        else "Close to 100 % of the clock's peak means the tensor cores are kept busy and the "
        "shortfall against the datasheet is the power limit's lower clock, not the GPU."
    )
    return "\n".join(lines) + "\n\n" + note
