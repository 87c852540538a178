"""GL1xx: GPU work that crashes, leaks memory or uses a removed API."""

from __future__ import annotations

from gpulab.qa.lint.model import Rule
from gpulab.qa.lint.rules.gpu.cuda_without_oom_handling import CudaWithoutOomHandling
from gpulab.qa.lint.rules.gpu.del_without_empty_cache import DelWithoutEmptyCache
from gpulab.qa.lint.rules.gpu.deprecated_amp import DeprecatedAmp
from gpulab.qa.lint.rules.gpu.gpu_without_stop import GpuWithoutStop

RULES: dict[str, type[Rule]] = {
    "GL101": GpuWithoutStop,
    "GL102": CudaWithoutOomHandling,
    "GL103": DelWithoutEmptyCache,
    "GL104": DeprecatedAmp,
}
