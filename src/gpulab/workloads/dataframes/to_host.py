"""Device → host: a GPU result's copy back to host memory, timed apart from the operation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpulab.timing import Timing

from .config import SuiteConfig
from .measure import measure


def proxy_to_host(proxy: Any) -> Any:
    """A cudf.pandas proxy's data as a new, real pandas object; the proxy is left as it was.

    `as_cpu_object()` (cudf.pandas' final proxies: DataFrame, Series, Index) runs the
    accelerator's own fast → slow conversion, `cudf.DataFrame.to_pandas()` (a device → host
    copy), on every call, and does not touch the object the proxy wraps. Not `_fsproxy_slow`:
    that property converts once and then *keeps* the host copy in the proxy, so every later
    call returns it at once; timed calls after an untimed warm-up would copy nothing.
    """
    return proxy.as_cpu_object()


def measure_to_host(
    result: Any, convert: Callable[[Any], Any], config: SuiteConfig
) -> tuple[Timing | None, str | None]:
    """Time `convert(result)` (device → host) when it really copies; otherwise say why not.

    Two untimed conversions come first. If they return the same object (or `result` itself),
    the data already lives in host memory — cudf.pandas ran the op on the CPU, or the
    conversion caches its copy — and a timing would measure a no-op; the reason is returned
    instead of a number. Returns (timing, None) or (None, reason)."""
    if isinstance(result, (str, Path)):
        return None, "the op's result is the file it wrote: nothing to copy"
    first = convert(result)
    second = convert(result)
    cached = first is second or first is result
    del first, second
    if cached:
        return None, "already in host memory (e.g. the op ran on the CPU): nothing to copy"
    timing, _ = measure(lambda: convert(result), config)
    return timing, None
