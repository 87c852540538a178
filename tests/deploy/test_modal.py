"""`gpulab deploy modal`: the app file imports offline, registers what it says, and serves with a
token; its check fails on a wrong GPU, a missing volume or token, or an import that logs in."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import psutil
import pytest

from .conftest import (
    NOTEBOOK,
    ROOT,
    assert_one_line_exit_2,
    assert_token_protected,
    free_port,
    gpulab,
    wait_for_health,
)

pytest.importorskip("modal", reason="the deploy extra (modal) is not installed")

APP = "gpulab_modal.py"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("modal")
    result = gpulab("deploy", "modal", "--out", str(out), "--gpu", "a100-80gb:2")
    assert result.returncode == 0, result.stderr
    return out, result


def token_of(out: Path) -> str:
    return (out / "token.env").read_text().strip().split("=", 1)[1]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"app_{time.monotonic_ns()}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_writes_the_app_and_a_0600_token_shown_once(generated) -> None:
    out, result = generated
    token = token_of(out)
    assert (out / "token.env").stat().st_mode & 0o777 == 0o600
    assert result.stdout.count(token) == 1
    assert token not in (out / APP).read_text()
    assert "modal secret create gpulab-token --from-dotenv" in result.stdout
    rerun = gpulab("deploy", "modal", "--out", str(out), "--gpu", "A100-80GB:2")
    assert rerun.returncode == 0 and token not in rerun.stdout
    assert token_of(out) == token  # a rerun keeps the token: nobody is locked out


def test_check_imports_offline_and_lists_function_gpu_volume_endpoint(generated) -> None:
    out, _ = generated
    result = gpulab("deploy", "modal", "--out", str(out), "--check")
    assert result.returncode == 0, result.stderr
    assert "imported offline" in result.stdout
    assert "function notebooks: web endpoint on port 2718, GPU A100-80GB x2" in result.stdout
    assert "volume 'gpulab-data' mounted at /data" in result.stdout
    assert "secret 'gpulab-token'" in result.stdout


def test_what_modal_registered_matches_the_options(generated) -> None:
    """Modal's own view (Function.info) of the imported app, without credentials."""
    from gpulab.deploy.modal_app import probe

    out, _ = generated
    report = probe(out / APP)
    assert report["apps"] == ["gpulab"]
    function = report["functions"]["notebooks"]
    assert function["gpus"] == [["A100-80GB", 2]]
    assert function["volumes"] == {"/data": "gpulab-data"}
    assert function["web_endpoint"] is True
    assert function["timeout"] == 4 * 3600
    assert function["max_inputs"] == 100
    assert "--token-file" in report["serve_command"]


def test_the_app_file_is_ruff_clean(generated) -> None:
    out, _ = generated
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--isolated", "--line-length", "100"]
            + [str(out / APP)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('GPU = "A100-80GB:2"', 'GPU = "H1000"', "unknown Modal GPU type 'H1000'"),
        ("volumes={VOLUME_PATH: volume},", "", "does not mount volume 'gpulab-data' at '/data'"),
        ('"--token-file",', '"--no-token",', "does not require the token"),
        ("@modal.web_server(PORT, startup_timeout=STARTUP_S)\n", "", "is not a web endpoint"),
        ("secrets=[modal.Secret.from_name(SECRET_NAME)],", "", "token secret 'gpulab-token'"),
        (
            "app = modal.App(APP_NAME, image=image)",
            "app = modal.App(APP_NAME, image=image)\nvolume.hydrate()",
            "does not import offline",
        ),
    ],
)
def test_check_fails_on_a_broken_app(
    generated, tmp_path: Path, old: str, new: str, problem: str
) -> None:
    out, _ = generated
    text = (out / APP).read_text()
    assert old in text
    (tmp_path / APP).write_text(text.replace(old, new))
    result = gpulab("deploy", "modal", "--out", str(tmp_path), "--check")
    assert result.returncode == 1, result.stdout
    assert problem in result.stderr


def test_the_function_body_serves_the_volume_notebooks_with_the_token(
    generated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    """launch() is what the container runs: here with a temp volume and the token in the env."""
    out, _ = generated
    app = load(out / APP)
    source = tmp_path / "image-notebooks"
    source.mkdir()
    (source / "hello.py").write_text(NOTEBOOK)
    token = token_of(out)
    monkeypatch.setenv("GPULAB_TOKEN", token)
    port = free_port()
    process = app.launch(data=tmp_path / "volume", port=port, notebooks_source=source)
    log = tmp_path / "no-log"
    log.write_text("(output went to the test's capture)")
    try:
        wait_for_health(f"http://127.0.0.1:{port}/", process, log)
        assert_token_protected(f"http://127.0.0.1:{port}/", token)
    finally:
        for child in psutil.Process(process.pid).children(recursive=True):
            child.kill()
        process.kill()
        process.wait(timeout=20)
    assert (tmp_path / "volume" / "notebooks" / "hello.py").is_file()
    assert (tmp_path / "volume" / "work").is_dir()
    captured = capfd.readouterr()
    assert token not in captured.out + captured.err


def test_launch_refuses_to_start_without_the_secret(
    generated, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out, _ = generated
    app = load(out / APP)
    monkeypatch.delenv("GPULAB_TOKEN", raising=False)
    with pytest.raises(RuntimeError, match="has no GPULAB_TOKEN"):
        app.launch(data=tmp_path, port=free_port(), notebooks_source=tmp_path)


def test_seeding_keeps_notebooks_edited_on_the_volume(generated, tmp_path: Path) -> None:
    out, _ = generated
    app = load(out / APP)
    image, volume = tmp_path / "image", tmp_path / "volume"
    image.mkdir()
    (image / "a.py").write_text("new")
    (image / "b.py").write_text("new")
    volume.mkdir()
    (volume / "a.py").write_text("edited")
    app.seed_notebooks(image, volume)
    assert (volume / "a.py").read_text() == "edited"
    assert (volume / "b.py").read_text() == "new"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpu", "H1000"], "unknown Modal GPU type 'H1000'"),
        (["--gpu", "A10:6"], "invalid GPU count 6 for A10"),
        (["--volume-path", "/"], "volume path '/' is not writable"),
        (["--volume-path", "/tmp"], "volume path '/tmp' is not writable"),
        (["--volume-path", "/usr/share/data"], "is not writable for notebooks"),
        (["--volume-path", "data"], "invalid volume path 'data'"),
        (["--volume-path", "/data/../etc"], "invalid volume path"),
        (["--volume", "my volume"], "invalid Modal volume name 'my volume'"),
        (["--timeout", "0"], "invalid --timeout 0"),
        (["--timeout", "90000"], "invalid --timeout 90000"),
        (["--idle-timeout", "7200"], "invalid --idle-timeout 7200"),
        (["--extras", "llm,gpu-magic"], "unknown extra 'gpu-magic'"),
        (["--source", "/"], "is not the gpulab project"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = gpulab("deploy", "modal", "--out", str(tmp_path / "out"), *args)
    assert_one_line_exit_2(result, message)
    assert not (tmp_path / "out").exists()  # nothing written before the input is checked


@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_an_unwritable_output_folder_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = blocker / "out" if where == "under-a-file" else Path("/proc/gpulab-deploy-test")
    result = gpulab("deploy", "modal", "--out", str(out))
    assert_one_line_exit_2(result, "is not writable")


def test_check_without_a_generated_app_is_one_line_and_exit_2(tmp_path: Path) -> None:
    assert_one_line_exit_2(
        gpulab("deploy", "modal", "--out", str(tmp_path), "--check"), "no Modal app at"
    )


def test_the_default_source_is_this_project() -> None:
    from gpulab.deploy.inputs import project_source

    assert project_source(None) == ROOT
