"""`gpulab new`: a notebook from the template that checks clean and runs headless as written."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gpulab.cli import main
from gpulab.template import NAME_MARK, TITLE_MARK, template_text


def test_new_writes_the_template_with_name_and_title(tmp_path, capsys):
    assert main(["new", "flash_attention", "--dir", str(tmp_path / "nbs")]) == 0
    text = (tmp_path / "nbs" / "flash_attention.py").read_text()
    assert "# Flash attention" in text
    assert "workloads/flash_attention.py" in text
    assert TITLE_MARK not in text and NAME_MARK not in text
    assert "wrote" in capsys.readouterr().out


def test_new_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    path = tmp_path / "probe.py"
    path.write_text("mine")
    assert main(["new", "probe", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "mine"
    assert main(["new", "probe.py", "--dir", str(tmp_path), "--force"]) == 0
    assert "app = marimo.App" in path.read_text()


@pytest.mark.parametrize("name", ["Bad", "1st", "a-b", "../escape", "", "x" * 80])
def test_new_rejects_names_that_are_not_module_names(tmp_path, capsys, name):
    assert main(["new", name, "--dir", str(tmp_path)]) == 2
    assert "invalid notebook name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_template_is_shipped_with_both_placeholders():
    text = template_text()
    assert TITLE_MARK in text and NAME_MARK in text
    assert "Requirements:" in text  # the docstring states GPU memory needs


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("new")
    assert main(["new", "fresh_notebook", "--dir", str(folder)]) == 0
    return folder / "fresh_notebook.py"


def test_generated_notebook_passes_marimo_check_and_gpulab_lint(generated, capsys):
    done = subprocess.run(
        [sys.executable, "-m", "marimo", "check", str(generated)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower()
    assert main(["lint", str(generated)]) == 0, capsys.readouterr().out


def test_generated_notebook_runs_every_cell_headless_in_smoke(generated, tmp_path, capsys):
    code = main(["test", str(generated), "--profile", "smoke", "--report", str(tmp_path)])
    assert code == 0, capsys.readouterr().out
    assert "1 passed" in capsys.readouterr().out
