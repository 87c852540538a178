"""The ONNX Runtime rungs: export the model to ONNX, run it by the best provider present.

TensorRT > CUDA > CPU provider. On a GPU provider torch's CUDA tensors are bound in place and ORT
runs on torch's stream, so CUDA events time ORT's work exactly and no host copy enters the timing.
"""

from __future__ import annotations

import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from gpulab.deps import is_available, require
from gpulab.workloads.inference.rung_setup import (
    Built,
    LadderContext,
    RungSkipped,
    dtype_of,
    place,
)
from gpulab.workloads.inference.rungs import Recipe


def onnx_providers(available: list[str]) -> list[str]:
    """Which ONNX Runtime providers to ask for, best first: TensorRT > CUDA > CPU."""
    order = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    return [p for p in order if p in available]


def resolve_exporter(choice: str) -> str:
    """'dynamo' (torch.export based, needs onnxscript) when possible, else the TorchScript one."""
    if choice == "auto":
        return "dynamo" if is_available("onnxscript") else "torchscript"
    if choice == "dynamo":
        require("onnxscript")
    return choice


def export_onnx(model: Any, example: Any, path: Path, exporter: str) -> None:
    """Write `model(example)` as an ONNX graph with static shapes: input 'input', output 'output'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporters' deprecation chatter is not the user's
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["input"],
            output_names=["output"],
            dynamo=exporter == "dynamo",
            verbose=False,
        )


def _gpu_provider_options(provider: str, index: int, precision: str) -> dict[str, Any]:
    """Run on torch's current stream (CUDA events then time ORT's work exactly); FP32 stays FP32."""
    stream = str(torch.cuda.current_stream().cuda_stream)
    options: dict[str, Any] = {
        "device_id": index,
        "has_user_compute_stream": 1,
        "user_compute_stream": stream,
    }
    if provider == "TensorrtExecutionProvider":
        options["trt_fp16_enable"] = precision == "fp16"
    else:
        options["use_tf32"] = 0
    return options


_NUMPY_TYPES = {torch.float32: "float32", torch.float16: "float16", torch.int64: "int64"}


def build_onnxruntime(ctx: LadderContext, recipe: Recipe) -> Built:
    """Export, open a session (the export is timed as setup), and return the timed call."""
    require("onnx")
    ort = require("onnxruntime")
    exporter = resolve_exporter(ctx.config.onnx_exporter)
    providers = onnx_providers(ort.get_available_providers())
    gpu_providers = [p for p in providers if p != "CPUExecutionProvider"] if ctx.cuda else []
    if recipe.precision == "fp16" and not gpu_providers:
        raise RungSkipped(
            "a float16 ONNX graph needs a GPU and a GPU provider (CUDA/TensorRT); this "
            f"onnxruntime has {', '.join(providers)} (onnxruntime-gpu brings them)"
        )
    started = time.perf_counter()
    model, example = place(ctx, recipe, ctx.device if gpu_providers else torch.device("cpu"))
    index = ctx.device.index or 0
    requested: list[Any] = [
        (p, _gpu_provider_options(p, index, recipe.precision)) for p in gpu_providers
    ]
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    with tempfile.TemporaryDirectory(prefix="gpulab-onnx-") as folder:
        path = Path(folder) / "model.onnx"
        export_onnx(model, example, path, exporter)
        del model
        session = ort.InferenceSession(
            str(path), options, providers=[*requested, "CPUExecutionProvider"]
        )
    ran = session.get_providers()[0]  # what ORT actually loaded, not what we asked for
    backend = f"onnxruntime {ort.__version__}, {ran} ({exporter} exporter)"
    setup_s = time.perf_counter() - started
    if ran == "CPUExecutionProvider":
        if ctx.cuda:
            backend += ": no GPU provider loaded, so this rung ran on the CPU"
        feed = {"input": example.cpu().numpy()}
        return Built(
            lambda: torch.from_numpy(session.run(["output"], feed)[0]),
            backend,
            "cpu",
            setup_s,
            tracks_memory=False,
        )
    run = _bound_gpu_run(session, example, dtype_of(recipe.precision), ctx.device, index)
    return Built(run, backend, "cuda", setup_s, tracks_memory=False)


def _bound_gpu_run(
    session: Any, example: Any, dtype: torch.dtype, device: Any, index: int
) -> Callable[[], Any]:
    """A call running `session` on torch's CUDA tensors bound in place: no host copy is timed."""
    import numpy as np

    shape = [int(d) for d in session.get_outputs()[0].shape]
    output = torch.empty(shape, dtype=dtype, device=device)
    example = example.contiguous()
    binding = session.io_binding()
    for bind, name, tensor in (
        (binding.bind_input, "input", example),
        (binding.bind_output, "output", output),
    ):
        element = getattr(np, _NUMPY_TYPES[tensor.dtype])
        bind(name, "cuda", index, element, tuple(tensor.shape), tensor.data_ptr())

    def run() -> Any:
        session.run_with_iobinding(binding)
        return output

    run.bound = (example, output)  # the binding holds raw pointers: keep the tensors alive
    return run
