"""What the engine does around the rules: syntax errors on their lines, the grammar a notebook
declares, one finding per problem, and the same report however many processes lint."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, every_code, found, lint

from gpulab.qa.lint import syntax
from gpulab.qa.lint.engine import LintOptions, deduplicate, lint_paths
from gpulab.qa.lint.model import Finding, Severity

CELL = """

@app.cell
def _():
{body}
    return
"""
MAIN = '\n\nif __name__ == "__main__":\n    app.run({close}\n'


def notebook(tmp_path: Path, *bodies: str, header: str = "", close: str = ")") -> Path:
    cells = "".join(CELL.format(body=textwrap.indent(body, "    ")) for body in bodies)
    text = f"{header}import marimo\n\napp = marimo.App()\n{cells}{MAIN.format(close=close)}"
    path = tmp_path / "nb.py"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_syntax_error_in_a_cell_is_reported_on_its_line(tmp_path):
    path = notebook(tmp_path, "x = 1\ny = (2,\nz = 3")
    assert found(lint(path, {"MB001"})) == {("MB001", line_of(path, "y = (2,"))}


def test_a_file_only_python_cannot_read_is_gl002_on_the_line(tmp_path):
    """marimo still finds the cells when only the main guard is broken; `python nb.py` fails."""
    path = notebook(tmp_path, "x = 1", close="")
    assert found(lint(path, {"GL002"})) == {("GL002", line_of(path, "app.run("))}


PEP_701 = 'rows = ["a", "b"]\ntext = f"""{"\\n".join(rows)}"""\nprint(text)'


def test_a_notebook_that_declares_python_312_may_use_its_f_strings(tmp_path):
    header = '# /// script\n# requires-python = ">=3.12"\n# ///\n'
    path = notebook(tmp_path, "import marimo as mo", PEP_701, header=header)
    codes = {f.code for f in lint(path, every_code())}
    assert not codes & {"MB001", "GL002", "GL209"}


@pytest.mark.skipif(syntax.RUNNING >= (3, 12), reason="this Python parses PEP 701 itself")
def test_without_the_declaration_the_same_cell_is_a_syntax_error(tmp_path):
    path = notebook(tmp_path, "import marimo as mo", PEP_701)
    assert {f.code for f in lint(path, {"MB001"})} == {"MB001"}


@pytest.mark.parametrize(
    ("code", "declared"),
    [
        ('# /// script\n# requires-python = ">=3.12"\n# ///\n', (3, 12)),
        ('# /// script\n# requires-python = ">3.11,<4"\n# ///\n', (3, 12)),
        ('# /// script\n# dependencies = ["marimo"]\n# ///\n', None),
        ("import marimo\n", None),
    ],
)
def test_the_declared_python_is_the_lowest_allowed(code, declared):
    assert syntax.declared_python(code) == declared


def test_pep_701_f_strings_keep_their_names_and_lines():
    code = 'a = f"""x\n{"\\n".join(f"{v!r:>{w}}" for v in vals)}\n"""  # {q}\nb = f"{c["k"]=}"\n'
    rewritten = syntax.downgrade_fstrings(code)
    names = {node.id for node in ast.walk(ast.parse(rewritten)) if isinstance(node, ast.Name)}
    assert rewritten.count("\n") == code.count("\n")
    assert {"vals", "v", "w", "c", "a", "b"} <= names and "q" not in names


def finding(code: str, line: int, message: str) -> Finding:
    return Finding("nb.py", line, code, code.lower(), Severity.ERROR, message, "cell-1", line)


def test_one_finding_per_rule_line_and_message_and_one_per_hidden_output():
    findings = [
        finding("GL203", 5, "`a.value` is read"),
        finding("GL203", 5, "`a.value` is read"),
        finding("GL203", 5, "`b.value` is read"),
        finding("GL201", 9, "`mo.md('x')` is never displayed"),
        finding("MR002", 9, "branch expression"),
        finding("MR002", 12, "branch expression"),
    ]
    kept = [(f.code, f.line, f.message) for f in deduplicate(findings)]
    assert kept == [
        ("GL203", 5, "`a.value` is read"),
        ("GL203", 5, "`b.value` is read"),
        ("GL201", 9, "`mo.md('x')` is never displayed"),
        ("MR002", 12, "branch expression"),
    ]


def test_many_files_give_the_same_report_in_worker_processes(tmp_path, monkeypatch):
    source = (FIXTURES / "third_party" / "llm_finetuning_dashboard.py").read_text()
    for index in range(16):
        (tmp_path / f"nb_{index:02d}.py").write_text(source, encoding="utf-8")
    monkeypatch.setenv("GPULAB_LINT_JOBS", "1")
    alone = lint_paths([tmp_path], LintOptions(use_config=False))
    monkeypatch.setenv("GPULAB_LINT_JOBS", "2")
    split = lint_paths([tmp_path], LintOptions(use_config=False))
    assert split.findings == alone.findings and split.notebooks == alone.notebooks == 16
