"""The five engines: what each is, and whether it can run here (checked without importing it)."""

from __future__ import annotations

from dataclasses import dataclass

from gpulab.errors import MissingDependencyError


@dataclass(frozen=True)
class Engine:
    """One way to run the queries: which code family, on which device, in which process."""

    name: str
    label: str
    family: str  # "pandas" (the same pandas code) or "polars" (the same lazy queries)
    gpu: bool
    modules: tuple[str, ...]
    isolated: bool  # runs in a worker process
    note: str


ENGINES: dict[str, Engine] = {
    e.name: e
    for e in [
        Engine(
            "pandas",
            "pandas (NumPy dtypes)",
            "pandas",
            False,
            ("pandas", "pyarrow"),
            False,
            "the reference: pandas' default dtypes, single-threaded",
        ),
        Engine(
            "pandas-arrow",
            "pandas (pyarrow dtypes)",
            "pandas",
            False,
            ("pandas", "pyarrow"),
            False,
            "the same pandas code on ArrowDtype columns (dtype_backend='pyarrow')",
        ),
        Engine(
            "polars",
            "polars (CPU)",
            "polars",
            False,
            ("polars", "pyarrow"),
            False,
            "lazy queries collected on the CPU, multi-threaded",
        ),
        Engine(
            "cudf.pandas",
            "cudf.pandas (GPU)",
            "pandas",
            True,
            ("cudf", "pandas", "pyarrow"),
            True,
            "the unchanged pandas code under cudf.pandas.install(), in a worker process",
        ),
        Engine(
            "polars-gpu",
            "polars GPU engine",
            "polars",
            True,
            ("polars", "cudf_polars", "pyarrow"),
            True,
            "the same lazy queries collected with pl.GPUEngine(raise_on_fail=True)",
        ),
    ]
}


@dataclass(frozen=True)
class EngineStatus:
    """Whether an engine can run here; if not, why and the command that would fix it."""

    name: str
    available: bool
    reason: str = ""
    hint: str = ""
    package: str = ""

    def error(self) -> MissingDependencyError | None:
        """The missing library as the toolkit's error (for `missing_dependency_callout`)."""
        if self.available or not self.hint:
            return None
        label = ENGINES[self.name].label
        purpose = label if label.endswith("engine") else f"the {label} engine"
        return MissingDependencyError(self.package, self.hint, purpose)


def cuda_major() -> int:
    """The CUDA major version the driver supports (12 or 13 for cuDF wheels); 12 if unknown."""
    from gpulab import nvml

    if not nvml.ensure():
        return 12
    version = nvml.query(nvml.module().nvmlSystemGetCudaDriverVersion, None)
    return 13 if version and version >= 13000 else 12


def install_hint(module: str) -> str:
    """The pip command that installs an engine's missing module."""
    if module == "cudf":
        return f"pip install cudf-cu{cuda_major()}"
    if module == "cudf_polars":
        return f"pip install cudf-polars-cu{cuda_major()}"
    return "pip install 'gpulab[dataframes]'"


def engine_status(name: str) -> EngineStatus:
    """Check an engine without importing its heavy modules (find_spec only)."""
    from gpulab import nvml
    from gpulab.deps import is_available

    engine = ENGINES[name]
    for module in engine.modules:
        if not is_available(module):
            distribution = {"cudf": "cuDF", "cudf_polars": "cudf-polars"}.get(module, module)
            return EngineStatus(
                name, False, f"{distribution} is not installed", install_hint(module), distribution
            )
    if engine.gpu and nvml.device_count() == 0:
        return EngineStatus(name, False, "no NVIDIA GPU is visible (NVML found none)")
    return EngineStatus(name, True)
