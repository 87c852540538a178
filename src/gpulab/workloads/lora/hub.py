"""Where weights and data come from: whether the Hugging Face Hub answers, and the local cache."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path


def hub_reachable(timeout_s: float = 1.5) -> bool:
    """Whether the Hugging Face Hub answers (so a hub id is worth trying online)."""
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes"):
        return False
    host = re.sub(r"^https?://", "", os.environ.get("HF_ENDPOINT", "huggingface.co")).split("/")[0]
    try:
        with socket.create_connection((host.split(":")[0], 443), timeout=timeout_s):
            return True
    except OSError:
        return False


def default_cache_dir() -> Path:
    """Where converted GGUF checkpoints are kept: $GPULAB_CACHE_DIR, else the XDG cache."""
    base = os.environ.get("GPULAB_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "gpulab" / "models"
