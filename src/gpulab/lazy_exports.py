"""Names a package exports without importing the heavy modules behind them until first use.

A workload package re-exports its public names so a notebook writes `inference.run_ladder(...)`,
yet `import gpulab.workloads.inference` must stay cheap (no torch, transformers or networkx on a
notebook's first render). The package lists which submodule holds each heavy name; the module
`__getattr__` (PEP 562) built here imports it on first access and caches it in the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(
    package: str, namespace: dict[str, Any], modules: Mapping[str, tuple[str, ...]]
) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `modules` maps a submodule to the names it holds."""
    module_of = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in module_of:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module_of[name]}"), name)
        namespace[name] = value
        return value

    return __getattr__
