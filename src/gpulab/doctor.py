"""`gpulab doctor`: what this machine can run, and how to install what is missing."""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

from gpulab.deps import OPTIONAL, is_available
from gpulab.device import probe


def collect() -> dict[str, Any]:
    """The whole report as plain data (what `--json` prints)."""
    system = probe()
    libraries = []
    for dep in OPTIONAL.values():
        found = is_available(dep.module)
        libraries.append(
            {
                "module": dep.module,
                "purpose": dep.purpose,
                "found": found,
                "version": dep.version() if found else None,
                "install": None if found else dep.install,
            }
        )
    return {
        "system": system.to_dict(),
        "marimo": _module_version("marimo"),
        "gpulab": _module_version("gpulab"),
        "libraries": libraries,
    }


def _module_version(module: str) -> str | None:
    """The imported module's own version: distributions differ (marimo vs marimo-base)."""
    try:
        return getattr(importlib.import_module(module), "__version__", None)
    except ImportError:
        return None


def render_text(report: dict[str, Any]) -> str:
    system = report["system"]
    lines = [
        f"gpulab {report['gpulab']}  marimo {report['marimo']}  python {system['python_version']}"
    ]
    lines.append(
        f"torch {system['torch_version'] or 'missing'} (CUDA build {system['torch_cuda_version'] or 'none'}, "
        f"cuda available: {'yes' if system['cuda_available'] else 'no'})"
    )
    if system["nvml_available"]:
        lines.append(
            f"NVML ok: driver {system['driver_version']}, CUDA driver {system['cuda_driver_version']}"
        )
    else:
        lines.append(f"NVML missing: {system['nvml_error']}")
    if not system["gpus"]:
        lines.append(
            "GPUs: none found - notebooks run their CPU paths; GPU-only parts explain why they stop"
        )
    for gpu in system["gpus"]:
        cc = ".".join(map(str, gpu["compute_capability"])) if gpu["compute_capability"] else "?"
        sheet = gpu["datasheet"]
        peak = (
            f"datasheet {sheet['model']}: bf16 {sheet['bf16']} TFLOPS, {sheet['bandwidth_gbs']:.0f} GB/s"
            if isinstance(sheet, dict)
            else "datasheet unknown"
        )
        lines.append(
            f"GPU {gpu['index']}: {gpu['name']}  {gpu['memory_total_mib'] / 1024:.1f} GiB  "
            f"sm_{cc.replace('.', '')} {gpu['architecture']}  SMs {gpu['sm_count'] or '?'}  "
            f"MIG {_flag(gpu['mig_enabled'])}  ECC {_flag(gpu['ecc_enabled'])}  {peak}"
        )
    lines.append("optional libraries:")
    width = max(len(lib["module"]) for lib in report["libraries"])
    for lib in report["libraries"]:
        state = (
            f"ok {lib['version'] or ''}".strip() if lib["found"] else f"missing -> {lib['install']}"
        )
        lines.append(f"  {lib['module']:<{width}}  {state}  ({lib['purpose']})")
    return "\n".join(lines)


def _flag(value: bool | None) -> str:
    return "n/a" if value is None else ("on" if value else "off")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    report = collect()
    print(json.dumps(report, indent=2) if args.json else render_text(report))
    return 0
