"""An engine with the data loaded: how each engine reads the table, runs an op, waits for the
GPU and hands a result back to the host."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gpulab.errors import UsageError
from gpulab.timing import Timing

from .columns import Inputs
from .config import SuiteConfig
from .data import Dataset
from .measure import measure
from .pandas_ops import PANDAS_OPS
from .polars_ops import run_polars_op
from .to_host import proxy_to_host


class Session:
    """An engine with the data loaded: runs an op, synchronises, converts a result to host."""

    result_on_host = True
    includes_transfer = False

    def run(self, op: str) -> Any:
        raise NotImplementedError

    def sync(self) -> None:
        """Wait for queued device work (GPU engines); nothing to wait for on the CPU."""

    def to_host(self, result: Any) -> Any:
        return result

    def info(self) -> dict[str, Any]:
        return {}


class PandasSession(Session):
    """pandas on NumPy or Arrow dtypes, or (accelerated) the same code under cudf.pandas."""

    def __init__(self, dataset: Dataset, dtype_backend: str | None, accelerated: bool) -> None:
        import pandas as pd

        self.pd = pd
        self.accelerated = accelerated
        self.result_on_host = not accelerated
        options = {"dtype_backend": dtype_backend} if dtype_backend else {}
        self.inputs = Inputs(
            dataset.columns, str(dataset.fact_path), str(dataset.fact_path) + ".out", options
        )
        self.df = pd.read_parquet(dataset.fact_path, **options)
        self.dim = pd.read_parquet(dataset.dim_path, **options) if dataset.columns.key else None

    def run(self, op: str) -> Any:
        return PANDAS_OPS[op](self.df, self.dim, self.inputs)

    def sync(self) -> None:
        if self.accelerated:
            _cuda_synchronize()

    def to_host(self, result: Any) -> Any:
        if not self.accelerated or isinstance(result, Path):
            return result
        return proxy_to_host(result)

    def profile_fallbacks(self, op: str) -> list[str]:
        """One extra, untimed run under cudf.pandas' profiler: which calls fell back to CPU."""
        from cudf.pandas import Profiler

        with Profiler() as profiler:
            self.run(op)
        return sorted(
            name for name, calls in profiler.per_function_stats.items() if calls.get("cpu")
        )

    def info(self) -> dict[str, Any]:
        import pyarrow

        data = {"pandas": _version("pandas"), "pyarrow": pyarrow.__version__}
        if self.accelerated:
            import cudf.pandas

            data["cudf"] = _version("cudf")
            data["accelerator_active"] = bool(cudf.pandas.is_proxy_object(self.df))
            data["rmm_mode"] = os.environ.get("CUDF_PANDAS_RMM_MODE", "default")
        return data


class PolarsSession(Session):
    """polars lazy queries, collected on the CPU or with the GPU engine."""

    def __init__(self, dataset: Dataset, gpu: bool) -> None:
        import polars as pl

        self.gpu = gpu
        self.includes_transfer = gpu  # collect() takes host data in and returns host data
        self.inputs = Inputs(
            dataset.columns, str(dataset.fact_path), str(dataset.fact_path) + ".out"
        )
        self.lf = pl.read_parquet(dataset.fact_path).lazy()
        self.dim = pl.read_parquet(dataset.dim_path).lazy() if dataset.columns.key else None
        self.engine: Any = "cpu"
        self.roundtrip: Timing | None = None
        if gpu:
            import rmm

            # Plain device memory (cudaMallocAsync), not the managed-memory pool cudf-polars
            # would pick by default; raise_on_fail so an unsupported query errors instead of
            # silently running on the CPU and being timed as GPU.
            self.engine = pl.GPUEngine(
                raise_on_fail=True,
                executor="in-memory",
                memory_resource=rmm.mr.CudaAsyncMemoryResource(),
            )

    def run(self, op: str) -> Any:
        return run_polars_op(op, self.lf, self.dim, self.inputs, self.engine)

    def sync(self) -> None:
        if self.gpu:
            _cuda_synchronize()

    def measure_roundtrip(self, config: SuiteConfig) -> None:
        """GPU collect() always starts from host memory and returns to it: time that round trip
        (the whole input in and out, no work) so op times can be read against it."""
        if self.gpu:
            import polars as pl

            touched = self.lf.with_columns(pl.lit(0).alias("__roundtrip"))
            self.roundtrip, _ = measure(lambda: touched.collect(engine=self.engine), config)

    def info(self) -> dict[str, Any]:
        data: dict[str, Any] = {"polars": _version("polars")}
        if self.gpu:
            data["cudf_polars"] = _version("cudf_polars") or _version("cudf-polars-cu13")
            data["executor"] = "in-memory"
            if self.roundtrip is not None:
                data["input_roundtrip_median_s"] = self.roundtrip.median_s
        return data


def open_session(engine: str, dataset: Dataset) -> Session:
    """Load the dataset into an engine (untimed setup)."""
    if engine == "pandas":
        return PandasSession(dataset, None, accelerated=False)
    if engine == "pandas-arrow":
        return PandasSession(dataset, "pyarrow", accelerated=False)
    if engine == "cudf.pandas":
        return PandasSession(dataset, None, accelerated=True)
    if engine == "polars":
        return PolarsSession(dataset, gpu=False)
    if engine == "polars-gpu":
        return PolarsSession(dataset, gpu=True)
    raise UsageError(f"unknown engine {engine!r}")


def _version(module: str) -> str | None:
    import importlib
    import importlib.metadata

    try:
        return str(importlib.import_module(module).__version__)
    except Exception:
        try:
            return importlib.metadata.version(module)
        except Exception:
            return None


def _cuda_synchronize() -> None:
    """cudaDeviceSynchronize through cuda-bindings (a cuDF dependency): every stream, every op."""
    from cuda.bindings import runtime

    (err,) = runtime.cudaDeviceSynchronize()
    if err != runtime.cudaError_t.cudaSuccess:
        raise RuntimeError(f"cudaDeviceSynchronize failed: {err}")
