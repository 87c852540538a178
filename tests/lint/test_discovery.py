"""`gpulab lint` and `gpulab test` agree on which files are notebooks (gpulab.qa.discovery)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from gpulab.errors import UsageError
from gpulab.qa.discovery import discover, is_notebook
from gpulab.qa.lint.engine import LintOptions, lint_paths
from gpulab.qa.runner.cli import find_notebooks

NOTEBOOK = "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n    return\n"
HELPER = "def double(x):\n    return 2 * x\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("nb.py", NOTEBOOK, True),
        ("helper.py", HELPER, False),
        ("notes.txt", NOTEBOOK, False),
        ("mentions.py", '"""Build one with `app = marimo.App()`."""\n', False),
        ("test_sample.py", f'SAMPLE = """\\\n{NOTEBOOK}"""\n', False),
        ("broken.py", "import marimo\n\napp = marimo.App(width='medium'\n", True),
    ],
)
def test_a_notebook_is_a_py_file_with_a_module_level_app(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert is_notebook(path) is expected


def test_a_file_that_is_not_utf8_is_not_a_notebook(tmp_path):
    path = tmp_path / "latin1.py"
    path.write_bytes(NOTEBOOK.encode() + b"# caf\xe9\n")
    assert not is_notebook(path)


def test_folders_skip_hidden_environment_cache_and_build_folders(tmp_path):
    files = {
        "a.py": NOTEBOOK,
        "sub/b.py": NOTEBOOK,
        "helper.py": HELPER,
        **{f"{folder}/nb.py": NOTEBOOK for folder in (".hidden", "venv", "__pycache__", "build")},
        "dist/x/nb.py": NOTEBOOK,
        "__marimo__/nb.py": NOTEBOOK,
    }
    root = tree(tmp_path / "project", files)
    found = [(f.path.relative_to(root).as_posix(), f.named, f.notebook) for f in discover([root])]
    assert found == [("a.py", False, True), ("helper.py", False, False), ("sub/b.py", False, True)]


def test_each_file_is_found_once_and_named_files_are_marked(tmp_path):
    root = tree(tmp_path, {"a.py": NOTEBOOK, "b.py": NOTEBOOK})
    found = list(discover([root / "b.py", root, tmp_path / "." / "a.py"]))
    assert [(f.path.name, f.named) for f in found] == [("b.py", True), ("a.py", False)]


def test_an_exclusion_applies_to_folders_not_to_named_files(tmp_path):
    root = tree(tmp_path, {"keep.py": NOTEBOOK, "drafts/skip.py": NOTEBOOK})
    excluded = lambda path: "drafts" in path.parts  # noqa: E731
    assert [f.path.name for f in discover([root], excluded)] == ["keep.py"]
    assert [f.path.name for f in discover([root / "drafts" / "skip.py"], excluded)] == ["skip.py"]


@pytest.mark.parametrize(
    "folder",
    [FIXTURES / "bad_input" / "folder", FIXTURES / "clean", FIXTURES / "rules" / "hidden-output"],
    ids=lambda p: p.name,
)
def test_lint_and_test_find_the_same_notebooks_in_a_folder(folder):
    report = lint_paths([folder], LintOptions(use_config=False))
    not_notebooks = {path.resolve() for path in report.skipped}
    in_folder = {path.resolve() for path in folder.rglob("*.py")}
    assert {path.resolve() for path in find_notebooks([folder])} == in_folder - not_notebooks


def test_a_look_alike_marimo_cannot_read_is_reported_not_skipped(tmp_path):
    """Found in a folder by the shared rule, so `gpulab test` would run it: lint says why not."""
    tree(tmp_path, {"other_app.py": "# a marimo look-alike\napp = App()\n"})
    assert [path.name for path in find_notebooks([tmp_path])] == ["other_app.py"]
    report = lint_paths([tmp_path], LintOptions(use_config=False))
    assert [(f.code, Path(f.path).name) for f in report.findings] == [("GL001", "other_app.py")]
    assert report.skipped == []


def test_gpulab_test_refuses_a_folder_without_notebooks(tmp_path):
    tree(tmp_path, {"helper.py": HELPER, ".hidden/nb.py": NOTEBOOK})
    with pytest.raises(UsageError, match="no marimo notebooks in this folder"):
        find_notebooks([tmp_path])
