"""Parse the notebooks `gpulab.qa.discovery` finds once each, run the selected rules, drop
suppressed findings.

Bad input never raises past here except as `UsageError` (missing path, unknown rule, broken
config), which the CLI prints as one line with exit status 2. A file that is not a notebook or
does not parse becomes a finding (GL001/GL002) so it is reported next to everything else.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gpulab.errors import UsageError
from gpulab.qa.discovery import discover
from gpulab.qa.lint import marimo_adapter, registry
from gpulab.qa.lint.config import LintConfig, config_for
from gpulab.qa.lint.model import Cell, Finding, Notebook
from gpulab.qa.lint.rules import NOTEBOOK_RULES

NOTEBOOK_SUFFIXES = (".py", ".md", ".qmd")
_SUPPRESSION = re.compile(r"#\s*gpulab:\s*ignore(?:\[([^\]]*)\])?", re.IGNORECASE)


@dataclass
class LintOptions:
    select: Sequence[str] | None = None  # replaces the configured `select`
    ignore: Sequence[str] = ()  # added to the configured `ignore`
    use_config: bool = True


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    notebooks: int = 0
    skipped: list[Path] = field(default_factory=list)  # non-notebook files found in folders

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity.value == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity.value == "warning")


def lint_paths(paths: Sequence[str | Path], options: LintOptions | None = None) -> LintReport:
    options = options or LintOptions()
    if not paths:
        raise UsageError("give at least one notebook or folder to lint")
    targets = [Path(p) for p in paths]
    for target in targets:
        if not target.exists():
            raise UsageError(f"no such file or folder: {target}")
    cli_select = registry.resolve(options.select, "--select") if options.select else None
    cli_ignore = registry.resolve(options.ignore, "--ignore")
    report = LintReport()
    excluded = _excluded_by_config if options.use_config else None
    for found in discover(targets, excluded):
        if not (found.notebook or found.named):
            report.skipped.append(found.path)  # a helper module or `__init__.py` in a folder
            continue
        config = config_for(found.path) if options.use_config else LintConfig()
        enabled = (
            cli_select if cli_select is not None else registry.resolve(config.select, config.source)
        )
        enabled = enabled - cli_ignore - registry.resolve(config.ignore, config.source)
        enabled -= registry.resolve(config.ignores_for(found.path), config.source)
        findings, linted = lint_file(found.path, enabled)
        if linted:
            report.notebooks += 1
        elif not findings:
            report.skipped.append(found.path)
        report.findings.extend(findings)
    report.findings.sort(key=Finding.sort_key)
    return report


def _excluded_by_config(path: Path) -> bool:
    """`exclude` of the `[tool.gpulab.lint]` table that applies to `path`."""
    return config_for(path).excludes(path)


def display_path(path: Path) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def lint_file(path: Path, enabled: set[str]) -> tuple[list[Finding], bool]:
    """Findings for a file given as a notebook, and whether it was linted as one."""
    shown = display_path(path)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        message = f"not a marimo notebook: cannot read it as UTF-8 text ({err})"
        return _file_finding("GL001", shown, 1, message, enabled), False
    if path.suffix not in NOTEBOOK_SUFFIXES:
        message = (
            f"not a marimo notebook: only {', '.join(NOTEBOOK_SUFFIXES)} files can be notebooks"
        )
        return _file_finding("GL001", shown, 1, message, enabled), False
    outcome = marimo_adapter.load(path)
    if outcome.status == "syntax-error":
        message = f"not valid Python: {outcome.message} (line {outcome.line}); marimo cannot find its cells"
        return _file_finding("GL002", shown, outcome.line, message, enabled), False
    if outcome.status == "not-a-notebook" or outcome.notebook is None:
        message = f"not a marimo notebook: {outcome.message}"
        return _file_finding("GL001", shown, 1, message, enabled), False
    notebook = build_notebook(path, shown, source, outcome.notebook)
    findings = list(_run_rules(notebook, outcome.notebook, enabled))
    return suppress(findings, notebook.lines), True


def _file_finding(
    code: str, shown: str, line: int, message: str, enabled: set[str]
) -> list[Finding]:
    if code not in enabled:
        return []
    info = registry.find_rule(code)
    assert info is not None
    return [Finding(shown, line, info.code, info.name, info.severity, message, None, line)]


def build_notebook(
    path: Path, shown: str, source: str, parsed: marimo_adapter.ParsedNotebook
) -> Notebook:
    lines = source.splitlines()
    cells: list[Cell] = []
    cursor = 0
    for index, parsed_cell in enumerate(parsed.cells, start=1):
        first_line, cursor = _locate(parsed_cell, lines, cursor)
        tree: ast.Module | None = None
        defs: frozenset[str] = frozenset()
        refs: frozenset[str] = frozenset()
        kind = parsed_cell.kind
        if kind != "unparsable":
            try:
                tree = ast.parse(parsed_cell.code)
                defs, refs = marimo_adapter.cell_names(parsed_cell.code)
            except (SyntaxError, ValueError):
                kind = "unparsable"
        cells.append(
            Cell(
                index=index,
                name=parsed_cell.name,
                code=parsed_cell.code,
                kind=kind,
                tree=tree,
                first_line=first_line,
                defs=defs,
                refs=refs,
                options=parsed_cell.options,
                marimo_lineno=parsed_cell.marimo_lineno,
            )
        )
    saved = marimo_adapter.saved_form(parsed) if path.suffix == ".py" else None
    return Notebook(
        path=path,
        display_path=shown,
        source=source,
        header=parsed.header,
        cells=cells,
        saved_source=saved,
    )


def _locate(cell: marimo_adapter.ParsedCell, lines: list[str], cursor: int) -> tuple[int, int]:
    """File line of the cell's first code line, found by text from where marimo says it starts."""
    code_lines = cell.code.splitlines()
    offset = next((i for i, line in enumerate(code_lines) if line.strip()), 0)
    wanted = code_lines[offset].strip() if code_lines else ""
    start = max(cursor, cell.marimo_lineno - 1, 0)
    for i in range(start, len(lines)):
        if wanted and lines[i].strip() == wanted:
            return i + 1 - offset, i + 1
    fallback = max(cell.marimo_lineno, 1)
    return fallback, max(cursor, fallback)


def _run_rules(
    notebook: Notebook, parsed: marimo_adapter.ParsedNotebook, enabled: set[str]
) -> Iterator[Finding]:
    for rule_class in NOTEBOOK_RULES:
        if rule_class.code not in enabled:
            continue
        try:
            yield from rule_class().check(notebook)
        except marimo_adapter.MarimoChangedError:
            raise
        except Exception as err:  # a rule bug must not hide the other rules' findings
            yield from _file_finding(
                "GL000",
                notebook.display_path,
                1,
                f"rule {rule_class.code} ({rule_class.name}) crashed: {type(err).__name__}: {err}",
                enabled | {"GL000"},
            )
    marimo_codes = {
        code for code in enabled if code.startswith(marimo_adapter.MARIMO_RULE_PREFIXES)
    }
    yield from _marimo_findings(notebook, parsed, marimo_codes)


def _marimo_findings(
    notebook: Notebook, parsed: marimo_adapter.ParsedNotebook, codes: set[str]
) -> Iterator[Finding]:
    if not codes:
        return
    shifted = marimo_adapter.marimo_reports_lines_from_decorator()
    for diagnostic in marimo_adapter.run_marimo_rules(parsed, codes):
        info = registry.find_rule(diagnostic.code)
        if info is None:
            continue
        message = diagnostic.message + (f" ({diagnostic.fix})" if diagnostic.fix else "")
        for reported in sorted(set(diagnostic.lines)):
            cell = _cell_at_marimo_line(notebook, reported)
            line = reported
            if cell is not None and shifted:
                line = reported - cell.marimo_lineno + cell.first_line
            yield Finding(
                notebook.display_path,
                max(line, 1),
                info.code,
                info.name,
                info.severity,
                message,
                cell.label if cell is not None else None,
                max(line, 1),
            )


def _cell_at_marimo_line(notebook: Notebook, line: int) -> Cell | None:
    candidates = [c for c in notebook.cells if 0 < c.marimo_lineno <= line]
    return max(candidates, key=lambda c: c.marimo_lineno) if candidates else None


def suppress(findings: list[Finding], lines: list[str]) -> list[Finding]:
    """Drop findings with `# gpulab: ignore` or `# gpulab: ignore[CODE, name]` on their lines."""
    kept = []
    for finding in findings:
        last = max(finding.end_line, finding.line)
        if not any(_suppresses(lines, number, finding) for number in range(finding.line, last + 1)):
            kept.append(finding)
    return kept


def _suppresses(lines: list[str], number: int, finding: Finding) -> bool:
    if not 1 <= number <= len(lines):
        return False
    for match in _SUPPRESSION.finditer(lines[number - 1]):
        listed = match.group(1)
        if listed is None:
            return True
        keys = {key.strip().lower() for key in listed.split(",")}
        if finding.code.lower() in keys or finding.name.lower() in keys:
            return True
    return False
