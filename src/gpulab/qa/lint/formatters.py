"""Render a lint report as human text, JSON, or GitHub Actions annotations."""

from __future__ import annotations

import json

from gpulab.qa.lint.engine import LintReport
from gpulab.qa.lint.model import Finding

FORMATS = ("text", "json", "github")


def render(report: LintReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "github":
        return render_github(report)
    return render_text(report)


def _where(finding: Finding) -> str:
    return f" in cell '{finding.cell}'" if finding.cell else ""


def render_text(report: LintReport) -> str:
    lines = [
        f"{f.path}:{f.line}: {f.code} {f.name} [{f.severity.value}]{_where(f)}: {f.message}"
        for f in report.findings
    ]
    lines.append(summary_line(report))
    return "\n".join(lines)


def summary_line(report: LintReport) -> str:
    notebooks = f"{report.notebooks} notebook{'s' if report.notebooks != 1 else ''}"
    skipped = f" ({len(report.skipped)} non-notebook file(s) skipped)" if report.skipped else ""
    if not report.findings:
        return f"All checks passed: {notebooks} linted{skipped}."
    files = len({f.path for f in report.findings})
    return (
        f"Found {report.errors} error(s) and {report.warnings} warning(s) in {files} file(s); "
        f"{notebooks} linted{skipped}."
    )


def render_json(report: LintReport) -> str:
    payload = {
        "findings": [finding.to_json() for finding in report.findings],
        "summary": {
            "notebooks": report.notebooks,
            "skipped": [str(path) for path in report.skipped],
            "errors": report.errors,
            "warnings": report.warnings,
        },
    }
    return json.dumps(payload, indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: LintReport) -> str:
    """Workflow commands: each finding becomes an annotation on the pull request's diff."""
    lines = []
    for f in report.findings:
        title = _escape_property(f"{f.code} {f.name}")
        message = _escape_data(f"{f.message}{_where(f)}")
        lines.append(
            f"::{f.severity.value} file={_escape_property(f.path)},line={f.line},title={title}::{message}"
        )
    lines.append(summary_line(report))
    return "\n".join(lines)
