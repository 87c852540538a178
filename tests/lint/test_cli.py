"""`gpulab lint` as a command: exit codes, formats, selection, suppression, configuration."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES

from gpulab.cli import main
from gpulab.qa.lint import marimo_adapter, registry

CLEAN = FIXTURES / "clean" / "interactive_sliders.py"
ERRORS = FIXTURES / "third_party" / "llm_finetuning_dashboard.py"
WARNINGS_ONLY = FIXTURES / "rules" / "unseeded-random" / "bad_unseeded.py"

NOTEBOOK = """\
import marimo

__generated_with = "0.25.2"
app = marimo.App()


@app.cell
def _():
    import marimo as mo
    import torch

    return mo, torch


@app.cell
def _(torch):
    x = torch.ones(4).cuda(){comment}
    return


if __name__ == "__main__":
    app.run()
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_notebook(folder: Path, name: str = "nb.py", comment: str = "") -> Path:
    path = folder / name
    path.write_text(NOTEBOOK.format(comment=comment), encoding="utf-8")
    return path


# Exit status


def test_clean_notebook_exits_zero(capsys):
    code, out, _ = run(capsys, "--no-config", str(CLEAN))
    assert code == 0
    assert "All checks passed" in out


def test_error_finding_exits_one(capsys):
    code, out, _ = run(capsys, "--no-config", str(ERRORS))
    assert code == 1
    assert "GL202 refresh-misuse [error]" in out


def test_warnings_alone_exit_zero(capsys):
    code, out, _ = run(capsys, "--no-config", str(WARNINGS_ONLY))
    assert code == 0
    assert "GL403" in out


def test_missing_path_is_a_one_line_usage_error(capsys):
    code, out, err = run(capsys, "no/such/notebook.py")
    assert code == 2
    assert err.strip() == "gpulab lint: error: no such file or folder: no/such/notebook.py"
    assert "Traceback" not in out + err


def test_no_path_lints_the_notebooks_folder(capsys, monkeypatch, tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "sliders.py").write_text(CLEAN.read_text())
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys)
    assert code == 0
    assert "1 notebook linted" in out


def test_no_path_and_no_notebooks_folder_is_a_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys)
    assert code == 2
    assert "no notebooks/ folder here: give a notebook or a folder" in err


def test_a_folder_without_notebooks_is_a_warning_and_exit_2(capsys, tmp_path):
    (tmp_path / "helpers.py").write_text("x = 1\n")
    code, _, err = run(capsys, str(tmp_path))
    assert code == 2
    assert f"warning: no marimo notebooks found in {tmp_path}" in err


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_rule_is_a_usage_error(capsys, option):
    code, _, err = run(capsys, option, "GL999", str(CLEAN))
    assert code == 2
    assert "unknown rule 'GL999' in " + option in err


# Bad input


@pytest.mark.parametrize(
    ("name", "code", "text"),
    [
        ("plain_script.py", "GL001", "not a marimo notebook"),
        ("empty.py", "GL001", "not a marimo notebook"),
        ("notes.txt", "GL001", "only .py, .md, .qmd"),
        ("broken_notebook.py", "GL002", "'(' was never closed"),
    ],
)
def test_unreadable_input_is_a_finding_not_a_traceback(capsys, name, code, text):
    status, out, err = run(capsys, "--no-config", str(FIXTURES / "bad_input" / name))
    assert status == 1
    assert f"{name}:" in out and code in out and text in out
    assert "Traceback" not in out + err


def test_folder_skips_helper_modules_but_reports_broken_notebooks(capsys):
    code, out, _ = run(capsys, "--no-config", str(FIXTURES / "bad_input" / "folder"))
    assert code == 1
    assert "broken.py:4: GL002" in out
    assert "helpers.py" not in out.split("\n")[0]
    assert "1 notebook linted (2 non-notebook file(s) skipped)" in out


# Formats


def test_json_findings_carry_the_documented_fields(capsys):
    code, out, _ = run(capsys, "--no-config", "--format", "json", str(ERRORS))
    payload = json.loads(out)
    assert code == 1
    first = payload["findings"][0]
    assert set(first) == {"code", "name", "severity", "path", "line", "cell", "message"}
    assert payload["summary"]["errors"] == sum(
        f["severity"] == "error" for f in payload["findings"]
    )
    refresh = next(f for f in payload["findings"] if f["code"] == "GL202")
    assert refresh["cell"] == "cell-3" and refresh["name"] == "refresh-misuse"


def test_github_format_emits_workflow_annotations(capsys):
    _, out, _ = run(capsys, "--no-config", "--format", "github", str(ERRORS))
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations
    assert any(
        line.startswith("::error file=") and "title=GL202 refresh-misuse::" in line
        for line in annotations
    )
    assert any(line.startswith("::warning file=") for line in annotations)


# Selection and suppression


def test_select_keeps_only_the_named_rules(capsys):
    _, out, _ = run(capsys, "--no-config", "--select", "refresh-misuse,GL104", str(ERRORS))
    codes = {line.split()[1] for line in out.splitlines() if ": GL" in line or ": MR" in line}
    assert codes == {"GL202", "GL104"}


def test_select_accepts_a_code_prefix_and_ignore_subtracts(capsys):
    _, out, _ = run(capsys, "--no-config", "--select", "GL1", "--ignore", "GL104", str(ERRORS))
    codes = {line.split()[1] for line in out.splitlines() if ".py:" in line}
    assert codes == {"GL101", "GL102"}


@pytest.mark.parametrize(
    "comment",
    [
        "  # gpulab: ignore[GL101]",
        "  # gpulab: ignore[gpu-without-stop, GL403]",
        "  # gpulab: ignore",
    ],
)
def test_ignore_comment_silences_the_finding_on_its_line(tmp_path, capsys, comment):
    path = write_notebook(tmp_path, comment=comment)
    code, out, _ = run(capsys, "--no-config", "--select", "GL101", str(path))
    assert "GL101" not in out
    assert code == 0


def test_ignore_comment_for_another_rule_does_not_silence(tmp_path, capsys):
    path = write_notebook(tmp_path, comment="  # gpulab: ignore[GL404]")
    _, out, _ = run(capsys, "--no-config", "--select", "GL101", str(path))
    assert "GL101" in out


# Configuration


def write_pyproject(folder: Path, table: str) -> None:
    (folder / "pyproject.toml").write_text(textwrap.dedent(table), encoding="utf-8")


def test_pyproject_is_found_by_walking_up_from_the_notebook(tmp_path, capsys):
    write_pyproject(tmp_path, '[tool.gpulab.lint]\nignore = ["gpu-without-stop"]\n')
    (tmp_path / "deep" / "er").mkdir(parents=True)
    path = write_notebook(tmp_path / "deep" / "er")
    _, out, _ = run(capsys, "--select", "GL101,GL501", str(path))
    assert "GL501" in out and "GL101" not in out
    _, out, _ = run(capsys, str(path))
    assert "GL101" not in out and "GL501" in out


def test_no_config_ignores_pyproject(tmp_path, capsys):
    write_pyproject(tmp_path, '[tool.gpulab.lint]\nignore = ["GL101"]\n')
    path = write_notebook(tmp_path)
    _, out, _ = run(capsys, "--no-config", str(path))
    assert "GL101" in out


def test_pyproject_select_exclude_and_per_file_ignores(tmp_path, capsys):
    write_pyproject(
        tmp_path,
        """\
        [tool.gpulab.lint]
        select = ["GL1"]
        exclude = ["drafts/*"]
        per-file-ignores = { "legacy_*.py" = ["GL101"] }
        """,
    )
    (tmp_path / "drafts").mkdir()
    write_notebook(tmp_path / "drafts")
    write_notebook(tmp_path, "legacy_one.py")
    write_notebook(tmp_path, "current.py")
    _, out, _ = run(capsys, str(tmp_path))
    flagged = {line.split(":")[0] for line in out.splitlines() if "GL1" in line}
    assert flagged == {str(tmp_path / "current.py")}
    assert "GL501" not in out  # not selected


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[tool.gpulab.lint]\nselct = ["ALL"]\n', "unknown key(s) ['selct']"),
        ('[tool.gpulab.lint]\nignore = ["no-such-rule"]\n', "unknown rule 'no-such-rule'"),
        ('[tool.gpulab.lint]\nignore = "GL101\n', "cannot read"),
    ],
)
def test_broken_configuration_is_a_usage_error(tmp_path, capsys, table, message):
    write_pyproject(tmp_path, table)
    path = write_notebook(tmp_path)
    code, _, err = run(capsys, str(path))
    assert code == 2
    assert message in err and "Traceback" not in err


# Documentation commands


@pytest.mark.parametrize("key", ["GL101", "gpu-without-stop", "gl101"])
def test_explain_prints_the_rule_documentation(capsys, key):
    code, out, _ = run(capsys, "--explain", key)
    assert code == 0
    assert out.startswith("GL101 gpu-without-stop (warning)")
    assert "## What it does" in out and "## Fix" in out


def test_explain_covers_marimo_rules(capsys):
    code, out, _ = run(capsys, "--explain", "MB002")
    assert code == 0 and "multiple-definitions" in out and "from marimo" in out


def test_explain_unknown_rule_is_a_usage_error(capsys):
    code, _, err = run(capsys, "--explain", "GL999")
    assert code == 2 and "unknown rule 'GL999'" in err


def test_list_rules_lists_every_code(capsys):
    code, out, _ = run(capsys, "--list-rules")
    assert code == 0
    assert {line.split()[0] for line in out.splitlines()} == {r.code for r in registry.all_rules()}


# The marimo adapter


def test_changed_marimo_internals_fail_with_one_clear_message(capsys, monkeypatch):
    def moved() -> dict:
        raise marimo_adapter._changed(
            "parser modules", ImportError("No module named 'marimo._ast.load'")
        )

    monkeypatch.setattr(marimo_adapter, "_internals", moved)
    code, out, err = run(capsys, "--no-config", str(CLEAN))
    assert code == 2
    assert "gpulab lint supports marimo>=0.25.2,<0.26" in err
    assert "Traceback" not in out + err
