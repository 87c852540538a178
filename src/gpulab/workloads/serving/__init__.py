"""Serving several models on a real NVIDIA Triton server (PyTriton), load-tested.

Read in this order: `models` (ResNet-50, BERT-base, an MLP, in plain torch), `config` (what
runs), `env` (the server's own venv: numpy 1.26 and nvidia-pytriton), `spec` and `server_main`
(the server child), `process` (children in their own process group), `server` (start and wait
for readiness), `client_main` and `loadtest` (the gRPC asyncio load test), `checks` (served vs
direct), `faults`, `sizing`, `suite` (the runner) and `display` (tables and charts). Importing
the package loads neither torch nor numpy.
"""

from __future__ import annotations

from . import display, env, server_main
from .checks import CheckRow
from .choices import chosen_config, parse_rates
from .config import DTYPES, MODES, TOLERANCE, ServingConfig
from .env import BUILD_COMMAND, REQUIREMENTS, ServerEnv, ensure_env, find_env, require_env
from .faults import FaultRow, faulty_model, kill_during_load
from .loadtest import LoadRow, best_under
from .models import BERT, FAULTY, MLP, MODEL_NAMES, RESNET, ModelShape
from .process import check_port_free, free_port
from .server import Server, start_server
from .spec import NOBATCH_SUFFIX, ServerSpec
from .suite import SuiteResult, run_suite

__all__ = [
    "BERT",
    "BUILD_COMMAND",
    "DTYPES",
    "FAULTY",
    "MLP",
    "MODEL_NAMES",
    "MODES",
    "NOBATCH_SUFFIX",
    "REQUIREMENTS",
    "RESNET",
    "TOLERANCE",
    "CheckRow",
    "FaultRow",
    "LoadRow",
    "ModelShape",
    "Server",
    "ServerEnv",
    "ServerSpec",
    "ServingConfig",
    "SuiteResult",
    "best_under",
    "check_port_free",
    "chosen_config",
    "display",
    "env",
    "ensure_env",
    "faulty_model",
    "find_env",
    "free_port",
    "kill_during_load",
    "parse_rates",
    "require_env",
    "run_suite",
    "server_main",
    "start_server",
]
