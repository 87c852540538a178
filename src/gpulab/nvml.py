"""One place that talks to NVML (nvidia-ml-py), so no other module repeats its init and errors.

NVML is the driver's management library: it answers for every GPU without creating a CUDA context,
so telemetry never slows or holds memory on the GPU it watches. On machines without a driver the
calls here return "unavailable" with the reason instead of raising.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_initialised = False
_init_error: str | None = None


def _module() -> Any:
    import pynvml  # nvidia-ml-py; a core dependency, but keep the import lazy and guarded

    return pynvml


def ensure() -> bool:
    """Initialise NVML once per process; False (with `error()` set) when it is not usable."""
    global _initialised, _init_error
    with _lock:
        if _initialised:
            return True
        if _init_error is not None:
            return False
        try:
            _module().nvmlInit()
        except ImportError:
            _init_error = "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
            return False
        except Exception as err:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
            _init_error = f"{err} (is an NVIDIA driver installed?)"
            return False
        _initialised = True
        return True


def error() -> str | None:
    """Why NVML is unavailable, or None when it works."""
    ensure()
    return _init_error


def module() -> Any:
    """The initialised pynvml module; call `ensure()` first."""
    return _module()


def device_count() -> int:
    return _module().nvmlDeviceGetCount() if ensure() else 0


def handle(index: int) -> Any:
    return _module().nvmlDeviceGetHandleByIndex(index)


def query(fn: Callable[[], T], default: T) -> T:
    """Run one NVML query, returning `default` where the GPU does not support it."""
    try:
        return fn()
    except Exception:
        return default


def text(value: object) -> str:
    """NVML returns bytes on old bindings and str on new ones."""
    return value.decode() if isinstance(value, bytes) else str(value)


def index_for_torch_device(torch_index: int) -> int | None:
    """NVML's index of the GPU torch calls cuda:`torch_index` (they differ under
    CUDA_VISIBLE_DEVICES or a non-PCI device order); matched by PCI address, None if unknown."""
    if not ensure():
        return None
    try:
        import torch

        props = torch.cuda.get_device_properties(torch_index)
        bus_id = f"{props.pci_domain_id:08X}:{props.pci_bus_id:02X}:{props.pci_device_id:02X}.0"
        pynvml = _module()
        return int(pynvml.nvmlDeviceGetIndex(pynvml.nvmlDeviceGetHandleByPciBusId(bus_id)))
    except Exception:  # an old torch without PCI fields, a GPU NVML cannot see
        return None
