"""The Triton server child: `python -m gpulab.workloads.serving.server_main SPEC.json`.

Runs inside the server environment (numpy 1.26, nvidia-pytriton), never in the notebook's
process. It binds every model of the spec twice, `<name>` with Triton's dynamic batcher and
`<name>_nobatch` without it (each request executed alone), plus `faulty`, whose function raises,
and serves until SIGTERM. Statistics stay reachable (no restricted endpoints), so
perf_analyzer can read them.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any

from gpulab.workloads.serving import models
from gpulab.workloads.serving.graphed_forward import GraphedForward
from gpulab.workloads.serving.spec import NOBATCH_SUFFIX, ServerSpec


def _infer_fn(run: Any) -> Any:
    """A PyTriton function: the batch of requests Triton formed -> one forward pass."""

    def infer(**inputs: Any) -> dict[str, Any]:
        return {"output": run(inputs["input"])}

    return infer


def _runner(model: Any, shape: models.ModelShape, spec: ServerSpec) -> Any:
    """The model's forward on numpy batches: replayed CUDA graphs where the spec asks and the
    model is on a GPU, else eager; says which in the server's log."""
    if not spec.cuda_graphs or spec.device == "cpu":
        why = "CUDA graphs off" if not spec.cuda_graphs else "on the CPU"
        print(f"gpulab-serving: {shape.name} forward eager ({why})", flush=True)
        return lambda batch: models.forward(model, batch)
    graphed = GraphedForward(model, shape, spec.max_batch_size)
    how = f"eager ({graphed.error})" if graphed.error else f"{len(graphed.graphs)} CUDA graphs"
    print(f"gpulab-serving: {shape.name} forward {how}", flush=True)
    return graphed


def _faulty(**inputs: Any) -> dict[str, Any]:
    raise ValueError("the faulty model raises on every request, by design")


def _bind(triton: Any, spec: ServerSpec, name: str) -> None:
    import numpy as np
    from pytriton.decorators import batch
    from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor

    shape = models.ModelShape(name, tiny=spec.tiny)
    instances = [
        models.build(shape, spec.seed, spec.dtype, spec.device) for _ in range(spec.instances)
    ]
    for model in instances:  # every batch size the batcher may form, before any request
        for size in range(1, spec.max_batch_size + 1):
            models.forward(model, models.example_inputs(shape, size))
    runners = [_runner(model, shape, spec) for model in instances]
    in_dtype = np.dtype(shape.input_dtype()).type
    inputs = [Tensor(name="input", dtype=in_dtype, shape=shape.input_shape())]
    outputs = [Tensor(name="output", dtype=np.float32, shape=(-1,))]
    variants = {
        name: DynamicBatcher(max_queue_delay_microseconds=spec.max_queue_delay_us),
        name + NOBATCH_SUFFIX: None,
    }
    for model_name, batcher in variants.items():
        triton.bind(
            model_name=model_name,
            infer_func=[batch(_infer_fn(run)) for run in runners],
            inputs=inputs,
            outputs=outputs,
            config=ModelConfig(max_batch_size=spec.max_batch_size, batcher=batcher),
            strict=True,
        )


def _bind_faulty(triton: Any, spec: ServerSpec) -> None:
    import numpy as np
    from pytriton.decorators import batch
    from pytriton.model_config import ModelConfig, Tensor

    triton.bind(
        model_name=models.FAULTY,
        infer_func=batch(_faulty),
        inputs=[Tensor(name="input", dtype=np.float32, shape=(-1,))],
        outputs=[Tensor(name="output", dtype=np.float32, shape=(-1,))],
        config=ModelConfig(max_batch_size=spec.max_batch_size),
    )


def main(path: str) -> None:
    from pytriton.triton import Triton, TritonConfig, TritonSecurityConfig

    spec = ServerSpec.from_dict(json.loads(Path(path).read_text()))
    config = TritonConfig(
        http_address="127.0.0.1",
        http_port=spec.http_port,
        grpc_address="127.0.0.1",
        grpc_port=spec.grpc_port,
        metrics_address="127.0.0.1",
        metrics_port=spec.metrics_port,
        exit_on_error=True,
    )
    security = TritonSecurityConfig(restricted_endpoints=[])
    with Triton(config=config, security_config=security) as triton:
        for name in spec.models:
            _bind(triton, spec, name)
        _bind_faulty(triton, spec)
        signal.signal(signal.SIGTERM, lambda *_: triton.stop())
        print("gpulab-serving: models bound, serving", flush=True)
        triton.serve()


if __name__ == "__main__":
    main(sys.argv[1])
