"""Child process of `gpulab deploy modal --check`: import the app file, print what Modal sees.

Run as `python -m gpulab.deploy.modal_probe FILE` with no Modal credentials, so importing the
file proves it needs no login. Prints one JSON object: the app, each modal.Function with its
GPU, volumes, secrets and endpoint as `Function.info()` reports them, and the file's server
command line.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any


def describe(function: Any) -> dict[str, Any]:
    """What Modal registered for one function (Function.info() needs no server for a local one)."""
    info = function.info()
    return {
        "gpus": [[name, count] for name, count in info.gpus],
        "volumes": {path: mount.name for path, mount in info.volumes.items()},
        "secrets": list(info.secrets),
        "timeout": info.timeout,
        "web_endpoint": info.web_info is not None,
        "max_inputs": info.concurrency_info.max_inputs if info.concurrency_info else None,
    }


def probe(path: Path) -> dict[str, Any]:
    import modal

    spec = importlib.util.spec_from_file_location("gpulab_modal_app", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    apps = [value for value in vars(module).values() if isinstance(value, modal.App)]
    functions = {
        name: describe(value)
        for name, value in vars(module).items()
        if isinstance(value, modal.Function)
    }
    constants = {
        name: getattr(module, name, None)
        for name in ("GPU", "VOLUME_NAME", "VOLUME_PATH", "SECRET_NAME", "PORT", "TIMEOUT_S")
    }
    command = (
        module.serve_command(Path("/notebooks"), Path("/token"))
        if hasattr(module, "serve_command")
        else None
    )
    return {
        "apps": [app.name for app in apps],
        "functions": functions,
        "constants": constants,
        "serve_command": command,
    }


def main() -> int:
    try:
        result = probe(Path(sys.argv[1]))
    except Exception as err:  # any failure to import is the check's answer, in one line
        print(json.dumps({"error": f"{type(err).__name__}: {err}".splitlines()[0]}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
