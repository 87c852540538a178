"""The server environment: numpy 1.26 inside, offline installs, the command when it is missing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gpulab.errors import MissingDependencyError, UsageError
from gpulab.workloads.serving import BUILD_COMMAND, ServerEnv, require_env
from gpulab.workloads.serving.env import install_command


def test_server_env_has_numpy_1_and_pytriton_and_this_torch(server_env: ServerEnv) -> None:
    code = "import numpy, torch, pytriton, tritonclient.grpc.aio; print(numpy.__version__)"
    done = subprocess.run(
        [str(server_env.python), "-c", code],
        env=server_env.child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("1.26.")


def test_a_missing_env_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(MissingDependencyError, match=BUILD_COMMAND):
        require_env(tmp_path / "nowhere")


def test_offline_install_uses_only_the_wheel_folder(tmp_path: Path) -> None:
    command = install_command(Path("/x/python"), str(tmp_path))
    assert command[command.index("--find-links") + 1] == str(tmp_path)
    assert "--no-index" in command and "nvidia-pytriton==0.7.0" in command
    with pytest.raises(UsageError, match="not a folder"):
        install_command(Path("/x/python"), str(tmp_path / "missing"))


def test_child_env_points_the_stub_at_this_libpython(server_env: ServerEnv) -> None:
    import sysconfig

    env = server_env.child_env()
    assert env["LD_LIBRARY_PATH"].split(":")[0] == sysconfig.get_config_var("LIBDIR")
    assert "PYTHONPATH" not in env
