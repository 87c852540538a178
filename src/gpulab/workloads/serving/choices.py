"""The notebook's controls -> a validated `ServingConfig`, or the problem to show beside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gpulab.errors import UsageError

from .config import ServingConfig


def parse_rates(text: str) -> tuple[float, ...]:
    """'200, 1000' -> (200.0, 1000.0); an empty field means no open-loop levels."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        return tuple(float(p) for p in parts)
    except ValueError:
        raise UsageError(
            f"open-loop rates must be numbers separated by commas, got {text!r}"
        ) from None


def chosen_config(
    base: ServingConfig,
    *,
    models: Sequence[str],
    max_batch_size: int,
    max_queue_delay_us: int,
    instances: str | int,
    concurrency: Sequence[str | int],
    rates: str,
    seconds: float,
    p99_limit_ms: float,
    port: float,
) -> tuple[ServingConfig, str]:
    """The config the controls describe and '' , or the base config and the problem in words."""
    try:
        config = replace(
            base,
            models=tuple(models),
            max_batch_size=int(max_batch_size),
            max_queue_delay_us=int(max_queue_delay_us),
            instances=int(instances),
            concurrency=tuple(sorted(int(c) for c in concurrency)),
            rates=parse_rates(rates),
            seconds_per_level=float(seconds),
            p99_limit_ms=float(p99_limit_ms),
            port=int(port),
        ).validate()
    except UsageError as err:
        return base, str(err)
    return config, ""
