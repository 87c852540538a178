"""Graph reasoning: a hierarchical R-GCN against a flat R-GCN and a bag-of-relations MLP on three
generated reasoning domains (causal, planning, knowledge graph), with checkpoints that verify.

Read in this order: `config` (what runs), `domains` (the generators and the searches that label
them), `data` (instances -> PyG graphs), `model` (the three models), `train` (one run: epochs,
stop, checkpoint, resume), `checkpoints` (atomic writes, manifest, hashes), `evaluate` (accuracy,
confusion, collapse), `stats` (intervals over seeds), `suite` (every run and the cross-domain
table), `job` (training in the background for a served notebook), `throughput` (graphs/s),
`display` and `export` (what a run shows and saves). Importing the package loads neither torch
nor PyG: `model` and `throughput` are imported on first use.
"""

from __future__ import annotations

from gpulab.lazy_exports import lazy_getattr

from . import charts
from .browse import checkpoint_test, parse_run
from .checkpoints import CheckpointError, CheckpointStore, Entry, atomic_write
from .config import (
    COLLAPSE_FRACTION,
    DOCUMENT_ACCURACY,
    DOMAIN_LABELS,
    DOMAINS,
    FLAT,
    HIERARCHICAL,
    MLP,
    MODEL_LABELS,
    MODELS,
    ReasoningConfig,
    default_checkpoint_dir,
)
from .display import (
    balance_rows,
    checkpoint_rows,
    collapses,
    confusion_rows,
    cross_domain_rows,
    curve_rows,
    example_graph,
    history_rows,
    meaning_text,
    run_rows,
    summary_rows,
    verdict_lines,
)
from .domains import NODE_TYPES, RELATIONS, Instance, generate
from .evaluate import Evaluation, evaluate, from_predictions
from .export import chart_bytes, history_csv, results_dict, results_json
from .job import TrainingJob, active_job, stop_all
from .requirements import require_chart_export, require_pyg
from .stats import mean_ci, separated
from .suite import SuiteResult, planned_work, resolve_device, run_suite
from .train import RunContext, RunResult, run_key, train_epoch, train_run

__getattr__ = lazy_getattr(
    __name__,
    globals(),
    {
        "model": ("BagMLP", "FlatRGCN", "HierarchicalRGCN", "build_model"),
        "throughput": ("device_comparison", "train_throughput"),
    },
)

__all__ = [
    "COLLAPSE_FRACTION",
    "DOCUMENT_ACCURACY",
    "DOMAINS",
    "DOMAIN_LABELS",
    "FLAT",
    "HIERARCHICAL",
    "MLP",
    "MODELS",
    "MODEL_LABELS",
    "NODE_TYPES",
    "RELATIONS",
    "CheckpointError",
    "CheckpointStore",
    "Entry",
    "Evaluation",
    "Instance",
    "ReasoningConfig",
    "RunContext",
    "RunResult",
    "SuiteResult",
    "TrainingJob",
    "active_job",
    "charts",
    "checkpoint_test",
    "meaning_text",
    "parse_run",
    "train_epoch",
    "atomic_write",
    "balance_rows",
    "chart_bytes",
    "checkpoint_rows",
    "collapses",
    "confusion_rows",
    "cross_domain_rows",
    "curve_rows",
    "default_checkpoint_dir",
    "evaluate",
    "example_graph",
    "from_predictions",
    "generate",
    "history_csv",
    "history_rows",
    "mean_ci",
    "planned_work",
    "require_chart_export",
    "require_pyg",
    "resolve_device",
    "results_dict",
    "results_json",
    "run_key",
    "run_rows",
    "run_suite",
    "separated",
    "stop_all",
    "summary_rows",
    "train_run",
    "verdict_lines",
]
