"""What a graph-reasoning run trains: domains, dataset sizes, models, seeds, epochs, checkpoints.

`ReasoningConfig.for_profile` gives the notebook's and the benchmark's settings. Nothing here
imports torch or PyG, so the notebook's first render stays cheap.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from gpulab import profiles
from gpulab.errors import UsageError

DOMAINS = ("causal", "planning", "knowledge_graph")
DOMAIN_LABELS = {
    "causal": "causal",
    "planning": "planning",
    "knowledge_graph": "knowledge graph",
}
HIERARCHICAL, FLAT, MLP = "hierarchical-rgcn", "flat-rgcn", "bag-of-relations-mlp"
MODELS = (HIERARCHICAL, FLAT, MLP)
MODEL_LABELS = {
    HIERARCHICAL: "hierarchical R-GCN (ours)",
    FLAT: "flat R-GCN",
    MLP: "MLP on bag-of-relations",
}
# The figures the source document reported for its hierarchical model (validation accuracy).
DOCUMENT_ACCURACY = {"causal": 0.59, "planning": 0.57, "knowledge_graph": 0.54}
COLLAPSE_FRACTION = 0.9  # one class taking more than this share of predictions is a collapse
SPLIT = (0.7, 0.15, 0.15)  # train / validation / test, by instance
# Settings a resumed run must share with its checkpoint: they shape the data, model or steps.
RESUME_KEYS = (
    "graphs_per_domain",
    "batch_size",
    "hidden",
    "num_bases",
    "levels",
    "convs_before_pool",
    "pool_ratio",
    "recon_weight",
    "lr",
)


def default_checkpoint_dir() -> Path:
    """Outside the repository: ~/.cache/gpulab/graph_reasoning (or $XDG_CACHE_HOME)."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "gpulab" / "graph_reasoning"


@dataclass(frozen=True)
class ReasoningConfig:
    """One training run over domains x models x seeds, with its checkpoint folder."""

    domains: tuple[str, ...] = DOMAINS
    models: tuple[str, ...] = MODELS
    graphs_per_domain: int = 1500
    seeds: tuple[int, ...] = (0, 1, 2)
    epochs: int = 16
    batch_size: int = 256
    hidden: int = 64
    num_bases: int = 8
    levels: int = 2
    convs_before_pool: int = 2  # relational layers over the full graph before the first pooling
    pool_ratio: float = 0.6
    recon_weight: float = 0.3
    lr: float = 5e-3
    checkpoint_dir: str = field(default_factory=lambda: str(default_checkpoint_dir()))
    checkpoint_every: int = 1
    device: str = "auto"  # "auto": the first CUDA GPU where torch sees one, else the CPU
    cross_domain: bool = True
    cpu_throughput_batches: int = 3  # steps timed on the CPU for the graphs/s comparison
    # graphs per step in the GPU-vs-CPU graphs/s comparison: each device is judged at its best
    throughput_batches: tuple[int, ...] = (1024, 4096, 16384)

    @classmethod
    def for_profile(cls, profile: str) -> ReasoningConfig:
        """smoke: 1 seed, tiny datasets, a few epochs (seconds on a CPU); full: 3 seeds."""
        if profiles.check(profile) == profiles.SMOKE:
            # One folder per process: a smoke run trains from scratch, then may resume.
            folder = Path(tempfile.gettempdir()) / f"gpulab-graph-reasoning-smoke-{os.getpid()}"
            return cls(
                graphs_per_domain=60,
                seeds=(0,),
                epochs=3,
                batch_size=16,
                hidden=16,
                num_bases=4,
                checkpoint_dir=str(folder),
                cpu_throughput_batches=2,
                throughput_batches=(32,),
            )
        return cls()

    def validate(self) -> None:
        """A one-line UsageError naming what to change."""
        unknown = [d for d in self.domains if d not in DOMAINS]
        if unknown or not self.domains:
            raise UsageError(f"choose domains from {list(DOMAINS)} (got {list(self.domains)})")
        bad = [m for m in self.models if m not in MODELS]
        if bad or not self.models:
            raise UsageError(f"choose models from {list(MODELS)} (got {list(self.models)})")
        if self.graphs_per_domain < 20:
            raise UsageError(
                f"graphs_per_domain must be at least 20 (each split needs both classes), "
                f"got {self.graphs_per_domain}"
            )
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise UsageError(f"give one or more distinct seeds, got {list(self.seeds)}")
        if self.epochs < 1 or self.batch_size < 1 or self.hidden < 2:
            raise UsageError("epochs and batch_size must be >= 1 and hidden >= 2")
        if not 1 <= self.levels <= 3:
            raise UsageError(f"levels of pooling must be 1, 2 or 3, got {self.levels}")
        if not 1 <= self.convs_before_pool <= 4:
            raise UsageError(f"convs_before_pool must be 1 to 4, got {self.convs_before_pool}")
        if not 0.1 <= self.pool_ratio < 1:
            raise UsageError(f"pool_ratio must be in [0.1, 1), got {self.pool_ratio}")
        if self.recon_weight < 0 or self.lr <= 0 or self.num_bases < 1:
            raise UsageError("recon_weight must be >= 0, lr > 0 and num_bases >= 1")
        if not str(self.checkpoint_dir).strip():
            raise UsageError("give a checkpoint folder (it is created if missing)")

    def model_settings(self) -> dict[str, Any]:
        """What a checkpoint must share with this config to be resumed (not epochs or seeds)."""
        return {key: getattr(self, key) for key in RESUME_KEYS}

    def with_changes(self, **changes: Any) -> ReasoningConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def total_runs(self) -> int:
        return len(self.domains) * len(self.models) * len(self.seeds)
