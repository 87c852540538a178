"""Start and stop the Triton server child from a `ServingConfig`."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gpulab.owned_process import OwnedProcess
from gpulab.progress import ProgressFn, no_progress

from .config import ServingConfig
from .env import ServerEnv
from .models import FAULTY
from .process import check_port_free, free_port, wait_ready
from .spec import NOBATCH_SUFFIX, ServerSpec


@dataclass
class Server:
    """A running server: its child, ports, the model names it serves and its start-up time."""

    child: OwnedProcess
    spec: ServerSpec
    env: ServerEnv
    ready_s: float = 0.0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="gpulab-serve-")))

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.spec.grpc_port}"

    @property
    def pid(self) -> int:
        return self.child.pid

    def model_names(self) -> list[str]:
        names = [n for m in self.spec.models for n in (m, m + NOBATCH_SUFFIX)]
        return [*names, FAULTY]

    def notes(self) -> list[str]:
        """The server's own set-up lines (e.g. whether its forwards replay CUDA graphs)."""
        marker = "gpulab-serving: "
        lines = self.child.tail(lines=200).splitlines()
        return [line.split(marker, 1)[1] for line in lines if marker in line]

    def stop(self) -> None:
        self.child.stop()


def _ports(config: ServingConfig) -> tuple[int, int, int]:
    if config.port == 0:
        return free_port(), free_port(), free_port()
    ports = (config.port, config.port + 1, config.port + 2)
    for port in ports:
        check_port_free(port)
    return ports


def start_server(
    config: ServingConfig, env: ServerEnv, progress: ProgressFn = no_progress
) -> Server:
    """Start the server child and wait until every model answers ready on the HTTP endpoint."""
    http, grpc, metrics = _ports(config)
    spec = ServerSpec(
        models=config.models,
        tiny=config.tiny,
        device=config.device,
        dtype=config.dtype,
        max_batch_size=config.max_batch_size,
        max_queue_delay_us=config.max_queue_delay_us,
        instances=config.instances,
        http_port=http,
        grpc_port=grpc,
        metrics_port=metrics,
        seed=config.seed,
        cuda_graphs=config.cuda_graphs,
    )
    workdir = Path(tempfile.mkdtemp(prefix="gpulab-serve-"))
    (workdir / "spec.json").write_text(json.dumps(spec.to_dict()))
    module = "gpulab.workloads.serving.server_main"
    command = [str(env.python), "-m", module, str(workdir / "spec.json")]
    child = OwnedProcess(command, env.child_env())
    server = Server(child, spec, env, workdir=workdir)
    names = server.model_names()
    ready_s = 0.0
    for done, name in enumerate(names):
        progress(done, len(names), f"loading {name}")
        url = f"http://127.0.0.1:{http}/v2/models/{name}/ready"
        ready_s += wait_ready(url, child, config.ready_timeout_s - ready_s)
    server.ready_s = ready_s
    return server
