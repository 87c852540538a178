#!/usr/bin/env bash
# GPU proof for the GPU-validation issue. Run from the repo root on the GPU host:
#   OUT=/some/dir bash scripts/device/gpu_validation.sh
# 1. `gpulab bench gpu --profile full --out $OUT`: matmul TFLOPS per format/size, device copy,
#    H2D/D2H pinned vs pageable, CPU peer; prints the headline figures and % of datasheet.
# 2. A 60 s bf16 stress through gpulab.workloads.gpu_validation.StressRun with a TelemetrySampler
#    running: prints utilisation over the steady part, max temperature, throttle reasons,
#    sustained TFLOPS and numerical mismatches; then a second run stopped on demand after a few
#    seconds.
# 3. `ps` after each stop, showing no stress worker left. Writes $OUT/gpu.json, $OUT/gpu_stress.json.
# About 3 minutes in all.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/gpu_validation_out}
mkdir -p "$OUT"
if ! python3 -c "import gpulab.workloads.gpu_validation" 2>/dev/null; then
  . scripts/device/setup.sh
fi
export PYTHONUNBUFFERED=1
status=0

echo "== gpulab bench gpu --profile full"
timeout 240 python3 -m gpulab.cli bench gpu --profile ${BENCH_PROFILE:-full} --out "$OUT" || status=1
python3 - "$OUT/gpu.json" <<'EOF' || status=1
import json, sys


def num(value, spec=".1f"):
    return "n/a" if value is None or value != value else format(value, spec)


report = json.load(open(sys.argv[1]))
d = report["details"]
print(f"device: {report['device']}  datasheet: {(d['datasheet'] or {}).get('model')}  "
      f"PCIe: {d['pcie_link']}  ({report['seconds']:.0f} s)")
h = d["headline"]
print(f"HEADLINE {h['dtype']} matmul: {num(h['tflops'])} TFLOPS at n={h['size']} = "
      f"{num(h['pct_of_datasheet'])}% of datasheet (target >= 80%); "
      f"CPU peer {num(report['peer']['value'], '.3f')} TFLOPS; ratio {num(report['ratio'], '.0f')}")
clocks = h.get("clocks")
if clocks:
    print(f"  while it ran: SM clock {num(clocks['sm_clock_mhz'], '.0f')} MHz (max "
          f"{num(clocks['max_sm_clock_mhz'], '.0f')}), power max {num(clocks['power_max_w'], '.0f')} W "
          f"of {num(clocks['power_limit_w'], '.0f')} W, slowdowns {clocks['slowdown_reasons']}")
c = d["copy"]
print(f"HEADLINE device copy: {num(c['gbs'], '.0f')} GB/s (read+write) = "
      f"{num(c['pct_of_peak'])}% of {c['peak_gbs']} GB/s (target >= 80%)")
for r in d["results"]:
    if "dtype" in r:
        rate = "skipped: " + r["skipped"] if r["skipped"] else (
            f"{num(r['tflops'], '.5g'):>8} TFLOPS  {num(r['pct_of_peak']):>5}% of {r['peak_tflops']}"
            f"  (p10-p90 call {r['timing']['p10_s'] * 1e3:.3f}-{r['timing']['p90_s'] * 1e3:.3f} ms,"
            f" {r['timing']['repeats']} repeats)"
            + (f"  SM {r['clocks']['sm_clock_mhz']:.0f} MHz {r['clocks']['power_max_w']:.0f} W "
               f"{','.join(r['clocks']['slowdown_reasons']) or '-'}" if r.get("clocks") else ""))
        print(f"  {'CPU ' if r['is_cpu_peer'] else ''}{r['dtype']:5} n={r['size']:5}  {rate}")
    else:
        rate = "skipped: " + r["skipped"] if r["skipped"] else (
            f"{num(r['gbs']):>8} GB/s  {num(r['pct_of_peak']):>5}% of {r['peak_name']}")
        print(f"  {r['label']:18} {r['buffer_mib']} MiB  {rate}")
for gpu, t in report["telemetry"].items():
    print(f"  telemetry GPU {gpu}: SM clock mean {num(t['sm_clock_mhz']['mean'], '.0f')} MHz "
          f"(min {num(t['sm_clock_mhz']['min'], '.0f')}), power max {num(t['power_w']['max'], '.0f')} W, "
          f"temp max {num(t['temperature_c']['max'], '.0f')} C, throttle {t['throttle_reasons_seen']}")
EOF

echo "== 60 s stress (StressRun) with telemetry"
timeout 200 python3 - "$OUT" <<'EOF' || status=1
import json, os, sys, time
from pathlib import Path

import psutil

from gpulab import nvml
from gpulab.workloads.gpu_validation import StressConfig, StressRun, group_members
from gpulab.telemetry import TelemetrySampler

out = Path(sys.argv[1])


def num(value, spec=".1f"):
    """A figure, or n/a when the run produced none (a failed device, no NVML reading)."""
    return "n/a" if value is None or value != value else format(value, spec)


gpus = tuple(range(nvml.device_count())) or (0,)
result = {}
with TelemetrySampler(interval_s=0.5) as sampler:
    run = StressRun(StressConfig(gpus=gpus, duration_s=60, dtype="bf16", size=8192)).start()
    print(f"worker PID {run.pid}, process group {run.pgid}, GPUs {list(gpus)}: {' '.join(run.command())}")
    shown = 0
    while not run.wait(timeout_s=10):
        reports = run.events("interval")
        latest = sampler.samples()[-len(gpus):]
        print(f"  t={run.elapsed_s():5.1f}s  last TFLOPS "
              f"{[round(r['tflops'], 1) for r in reports[-len(gpus):]]}  util "
              f"{[s.utilization_pct for s in latest]}%  temp {[s.temperature_c for s in latest]} C  "
              f"power {[round(s.power_w) for s in latest]} W  {[s.throttle_reasons for s in latest]}")
        if run.elapsed_s() > 150:
            print("  (taking too long: stopping)")
            run.stop()
    run.stop()  # no-op after the worker ended on its own; sweeps and reaps otherwise
    summary = run.summary(sampler.samples(), settle_s=5.0)
print(f"stress: stop reason {summary.stop_reason}, return code {summary.returncode}, "
      f"load {num(summary.load_seconds)} s, passed={summary.passed}")
for name, d in summary.devices.items():
    print(f"  {name} (GPU {d.gpu}): sustained {num(d.sustained_tflops)} TFLOPS bf16 "
          f"(min {num(d.min_tflops)}, max {num(d.max_tflops)}); {d.iterations} products, "
          f"{d.checks} checks, {d.mismatches} mismatches, worst error/tolerance "
          f"{num(d.worst_error_ratio, '.3g')}; errors {d.errors}")
for gpu, t in summary.telemetry.items():
    print(f"  GPU {gpu} telemetry (steady part, after 5 s): utilisation mean "
          f"{num(t['utilization_mean_pct'])}% min {num(t['utilization_min_pct'], '.0f')}% "
          f"(target >= 95%); SM clock mean {num(t['sm_clock_mean_mhz'], '.0f')} MHz; power mean "
          f"{num(t['power_mean_w'], '.0f')} W max {num(t['power_max_w'], '.0f')} W; max temperature "
          f"{num(t['temperature_max_c'], '.0f')} C; throttle reasons {t['throttle_reasons_seen']} "
          f"({t['slowdown_samples']} slowdown samples)")
if run.log():
    print("  worker log (last lines):", *run.log()[-8:], sep="\n    ")
left = group_members(run.pgid)
print(f"after stop: processes in group {run.pgid}: {left}; worker alive: {psutil.pid_exists(run.pid)}")
result["stress_60s"] = {**summary.to_dict(), "leftover_group_members": left,
                        "worker_alive_after_stop": psutil.pid_exists(run.pid),
                        "worker_log_tail": run.log()[-20:]}

# Stop on demand: a long run stopped by the user after a few reports.
demand = StressRun(StressConfig(gpus=gpus, duration_s=600, dtype="bf16", size=8192)).start()
deadline = time.monotonic() + 60
while demand.running and len(demand.events("interval")) < 3 * len(gpus) and time.monotonic() < deadline:
    time.sleep(0.2)
t0 = time.monotonic()
demand.stop()
stopped_in = time.monotonic() - t0
s2 = demand.summary()
left2 = group_members(demand.pgid)
print(f"stop on demand: worker PID {demand.pid} stopped in {stopped_in:.2f} s "
      f"(reason {s2.stop_reason}, return code {s2.returncode}); left in its group: {left2}; "
      f"{s2.checks} checks, {s2.mismatches} mismatches")
result["stop_on_demand"] = {"pid": demand.pid, "stopped_in_s": stopped_in,
                            "stop_reason": s2.stop_reason, "returncode": s2.returncode,
                            "leftover_group_members": left2, "checks": s2.checks,
                            "mismatches": s2.mismatches}
result["worker_pids"] = [run.pid, demand.pid]
(out / "gpu_stress.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
print(f"wrote {out / 'gpu_stress.json'}")
EOF

echo "== ps after stop (expect no stress_worker line)"
ps -eo pid,pgid,stat,etime,cmd | grep -i "[s]tress_worker" || echo "no stress_worker process left"
exit $status
