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
from gpulab.qa.lint import marimo_adapter, parallel, registry, syntax
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
    jobs: list[tuple[Path, frozenset[str]]] = []
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
        jobs.append((found.path, frozenset(enabled)))
    for (path, _), (findings, linted) in zip(
        jobs, parallel.run_all(_lint_job, jobs, _warm_up), strict=True
    ):
        if linted:
            report.notebooks += 1
        elif not findings:
            report.skipped.append(path)
        report.findings.extend(findings)
    report.findings.sort(key=Finding.sort_key)
    return report


def _lint_job(job: tuple[Path, frozenset[str]]) -> tuple[list[Finding], bool]:
    return lint_file(job[0], set(job[1]))


def _warm_up() -> None:
    """Import marimo's parser and rules and measure its line convention once, before forking."""
    registry.all_rules()
    marimo_adapter.marimo_reports_lines_from_decorator()


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
    with marimo_adapter.shared_compilation():
        notebook = build_notebook(path, shown, source, outcome.notebook)
        findings = list(_run_rules(notebook, outcome.notebook, enabled))
    findings += _syntax_error_outside_cells(notebook, enabled)
    return suppress(deduplicate(findings), notebook.lines), True


def _syntax_error_outside_cells(notebook: Notebook, enabled: set[str]) -> list[Finding]:
    """GL002 for a file marimo can read but Python cannot (a broken `app.run(` under the main
    guard): `python notebook.py` fails. An error inside a cell is MB001's."""
    if any(cell.error_line for cell in notebook.cells):
        return []  # marimo's MB001 reports the cell that does not parse
    declared = syntax.declared_python(notebook.source)
    try:
        syntax.parse(notebook.source, declared)
    except SyntaxError as err:
        line = err.lineno or 1
        message = (
            f"not valid Python: {err.msg} (line {line}); marimo still finds its cells, but "
            "`python` cannot run the file"
        )
        return _file_finding("GL002", notebook.display_path, line, message, enabled)
    return []


def deduplicate(findings: list[Finding]) -> list[Finding]:
    """One finding per rule, line and message (the same `x.value` twice on a line is one
    problem), and one per hidden output: where GL201 and marimo's MR002 name the same line,
    GL201's more specific message stays."""
    hidden = {(f.line, f.path) for f in findings if f.code == "GL201"}
    seen: set[tuple[str, int, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.code, finding.line, finding.message)
        if key in seen or (finding.code == "MR002" and (finding.line, finding.path) in hidden):
            continue
        seen.add(key)
        kept.append(finding)
    return kept


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
    declared = syntax.declared_python(source)
    # The saved form first: marimo compiles every cell for it, and the cells' names are read
    # from that compilation (`marimo_adapter.shared_compilation`).
    saved = marimo_adapter.saved_form(parsed) if path.suffix == ".py" else None
    cells: list[Cell] = []
    cursor = 0
    for index, parsed_cell in enumerate(parsed.cells, start=1):
        first_line, cursor = _locate(parsed_cell, lines, cursor)
        cell = Cell(
            index=index,
            name=parsed_cell.name,
            code=parsed_cell.code,
            kind=parsed_cell.kind,
            tree=None,
            first_line=first_line,
            options=parsed_cell.options,
            marimo_lineno=parsed_cell.marimo_lineno,
        )
        _parse_cell(cell, declared)
        cells.append(cell)
    return Notebook(
        path=path,
        display_path=shown,
        source=source,
        header=parsed.header,
        cells=cells,
        saved_source=saved,
    )


def _parse_cell(cell: Cell, declared: tuple[int, int] | None) -> None:
    """Parse a cell's code and read its names; a cell marimo could not parse on this Python is
    tried with the grammar the notebook declares."""
    unparsable = cell.kind == "unparsable"
    if unparsable and not syntax.newer_grammar(declared):
        cell.error_line = _error_line(cell)
        return
    try:
        code = cell.code
        try:
            cell.tree = ast.parse(code)
        except SyntaxError:
            if not syntax.newer_grammar(declared):
                raise
            code = syntax.downgrade_fstrings(code)
            cell.tree = ast.parse(code)
            cell.newer_syntax = True
        cell.defs, cell.refs = marimo_adapter.cell_names(code)
    except (SyntaxError, ValueError):
        cell.tree, cell.kind = None, "unparsable"
        cell.newer_syntax = False
        cell.error_line = _error_line(cell)
        return
    if unparsable:
        cell.kind = "cell"


def _error_line(cell: Cell) -> int:
    """The file line of the syntax error in a cell's code."""
    try:
        ast.parse(cell.code)
    except SyntaxError as err:
        return cell.first_line + max((err.lineno or 1) - 1, 0)
    except ValueError:
        pass
    return cell.first_line


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
    trees = [cell.tree for cell in notebook.cells]
    for diagnostic in marimo_adapter.run_marimo_rules(parsed, codes, trees):
        info = registry.find_rule(diagnostic.code)
        if info is None:
            continue
        message = diagnostic.message + (f" ({diagnostic.fix})" if diagnostic.fix else "")
        for reported in sorted(set(diagnostic.lines)):
            cell = _cell_at_marimo_line(notebook, reported)
            line = reported
            if cell is not None and shifted:
                line = reported - cell.marimo_lineno + cell.first_line
            if diagnostic.code == "MB001" and cell is not None:
                if cell.newer_syntax:
                    continue  # valid in the Python the notebook declares
                line = cell.error_line or line
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
