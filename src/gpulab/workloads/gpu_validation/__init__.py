"""Is this GPU as fast as its datasheet says, and does it stay correct under load?

Matmul TFLOPS per number format, memory and PCIe bandwidth, each against its ceiling; how the GPUs
are wired and whether their memory is healthy; a sustained stress load in a child process with a
numerical check. One concern per module:

- `config`: `ValidationConfig` (what the measurements time, `for_profile`), `BurstConfig` and
  `StressConfig`;
- `measurement`: how every figure is timed (warm-up, then a window of calls sized in seconds);
- `matmul`, `bandwidth`: the measurements; `results`: what one returns;
- `ceilings`: the datasheet and PCIe-link peaks a figure is a percentage of;
- `steps`, `schedule`, `summary`: the whole run as steps, run with progress in predicted seconds
  of work (FLOPs and bytes at the rates measured so far), and its headline figures;
- `charts`, `display`: the notebook's charts (altair imported when one is drawn), and what its
  stat cards and tables show (short columns, one precision per figure);
- `topology`, `topology_probe`: NVLink/PCIe paths, MIG and ECC state, read from NVML;
- `stress`, `stress_report`: the child-process runner and what its reports add up to;
- `stress_worker`, `stress_load`: the child's entry point and the load each device runs.

- `burst`: one size per format as a burst (a few products after a rest) and sustained (seconds
  back to back), each with the SM clock and power it ran at and the peak at that clock.

The size sweep's windows are short: they measure the rate at the clocks a GPU holds when a load
starts. Under seconds of dense load a power-capped data-centre GPU settles at a lower clock; the
burst/sustained pair shows both, each against the peak at its own clock, and the stress test
reports minutes of load next to the power-cap throttle reason that explains the difference. Percentages are of
the dense datasheet peak (`gpulab.datasheet`) and, for transfers, of the PCIe link NVML reports;
both are ceilings, never results.

Importing this package is cheap: torch is imported when a measurement first runs.
"""

from gpulab.workloads.gpu_validation.bandwidth import copy_bandwidth, host_transfer_bandwidth
from gpulab.workloads.gpu_validation.burst import (
    BurstSustained,
    burst_and_sustained,
    peak_at_clock,
    run_burst,
)
from gpulab.workloads.gpu_validation.ceilings import Peaks, peaks_for
from gpulab.workloads.gpu_validation.charts import stress_rate_chart, throughput_chart
from gpulab.workloads.gpu_validation.config import (
    DTYPES,
    STRESS_DTYPES,
    BurstConfig,
    StressConfig,
    ValidationConfig,
    selection_problems,
)
from gpulab.workloads.gpu_validation.devices import device_choices
from gpulab.workloads.gpu_validation.display import (
    burst_meaning,
    burst_rows,
    clock_rows,
    describe_ceiling,
    headline_figures,
    health_rows,
    inventory_rows,
    link_rows,
    meaning_lines,
    results_table,
    stat_figures,
    stress_figures,
    stress_telemetry_rows,
    stress_verdict,
)
from gpulab.workloads.gpu_validation.matmul import matmul_tflops, tf32_matmuls, unsupported_reason
from gpulab.workloads.gpu_validation.results import (
    BandwidthResult,
    MatmulResult,
    Result,
    describe_spread,
    describe_value,
    format_rate,
    rate_spread,
)
from gpulab.workloads.gpu_validation.schedule import (
    CostModel,
    ValidationRun,
    estimated_seconds,
    run_validation,
)
from gpulab.workloads.gpu_validation.steps import Step, validation_steps
from gpulab.workloads.gpu_validation.stress import (
    StressRun,
    active_runs,
    group_members,
    stop_all,
)
from gpulab.workloads.gpu_validation.stress_report import DeviceStress, StressSummary
from gpulab.workloads.gpu_validation.summary import ValidationSummary, summarise
from gpulab.workloads.gpu_validation.topology import PATH_MEANING, Topology
from gpulab.workloads.gpu_validation.topology_probe import probe_topology

__all__ = [
    "DTYPES",
    "PATH_MEANING",
    "STRESS_DTYPES",
    "BandwidthResult",
    "BurstConfig",
    "BurstSustained",
    "CostModel",
    "DeviceStress",
    "MatmulResult",
    "Peaks",
    "Result",
    "Step",
    "StressConfig",
    "StressRun",
    "StressSummary",
    "Topology",
    "ValidationConfig",
    "ValidationRun",
    "ValidationSummary",
    "active_runs",
    "burst_and_sustained",
    "burst_meaning",
    "burst_rows",
    "clock_rows",
    "copy_bandwidth",
    "describe_ceiling",
    "describe_spread",
    "describe_value",
    "device_choices",
    "estimated_seconds",
    "format_rate",
    "group_members",
    "headline_figures",
    "health_rows",
    "host_transfer_bandwidth",
    "inventory_rows",
    "link_rows",
    "matmul_tflops",
    "meaning_lines",
    "peak_at_clock",
    "peaks_for",
    "probe_topology",
    "rate_spread",
    "results_table",
    "run_burst",
    "run_validation",
    "selection_problems",
    "stat_figures",
    "stop_all",
    "stress_figures",
    "stress_rate_chart",
    "stress_telemetry_rows",
    "stress_verdict",
    "summarise",
    "tf32_matmuls",
    "throughput_chart",
    "unsupported_reason",
    "validation_steps",
]
