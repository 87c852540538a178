"""Faults a serving stack must survive, run for real against the server child."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Any

from .config import ServingConfig
from .env import ServerEnv
from .loadtest import LoadRow, measure, served_outputs
from .models import FAULTY
from .server import Server, start_server


@dataclass(frozen=True)
class FaultRow:
    """What happened: the fault, the error the client saw, and `still_serving`: for a raising
    model, whether the other models still answered; for a killed server, whether it still runs."""

    fault: str
    client_error: str
    still_serving: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def faulty_model(config: ServingConfig, server: Server) -> FaultRow:
    """A request to the model that raises fails; a request to another model then succeeds."""
    try:
        served_outputs(config, server, FAULTY)
        error = ""
    except RuntimeError as err:
        lines = str(err).splitlines()
        error = next((ln for ln in lines if "ValueError:" in ln), lines[-1])[-300:]
    others = served_outputs(config, server, config.models[0]).size > 0
    return FaultRow("a model that raises", error, others)


def kill_during_load(config: ServingConfig, env: ServerEnv, after_s: float = 1.0) -> FaultRow:
    """Start a server, load it, SIGKILL its process group mid-level: the client's errors."""
    config = replace(
        config,
        models=config.models[:1],
        concurrency=(max(config.concurrency),),
        requests_per_level=100_000,  # the time bound ends the level, well after the kill
        seconds_per_level=after_s * 3,
    )
    server = start_server(config, env)
    rows: list[LoadRow] = []
    killer = threading.Timer(after_s, server.child.kill)
    killer.start()
    try:
        measure(config, server, config.models[0], rows.append, modes=("closed",))
    except RuntimeError as err:  # the client itself may fail once its server is gone
        return FaultRow("server killed mid-load", str(err).splitlines()[0], False)
    finally:
        killer.cancel()
        server.stop()
    row = rows[0]
    errors = f"{row.errors} of {row.sent} requests failed: {row.first_error}"
    return FaultRow("server killed mid-load", errors, server.child.alive)
