"""The checkpoint browser's check: verify one checkpoint's hash, rebuild its model, test it."""

from __future__ import annotations

from .checkpoints import CheckpointError, CheckpointStore
from .config import DOMAINS, MODELS, ReasoningConfig
from .display import pct


def parse_run(run: str) -> tuple[str, str, int]:
    """(domain, model, seed) from a run key `domain-model-sSEED`."""
    domain, rest = run.split("-", 1)
    model, seed = rest.rsplit("-s", 1)
    if domain not in DOMAINS or model not in MODELS:
        raise CheckpointError(f"{run!r} is not a run this notebook writes")
    return domain, model, int(seed)


def checkpoint_test(config: ReasoningConfig, file: str, device: str = "cpu") -> str:
    """Load `file` from the config's folder (hash checked first), test it; one Markdown line."""
    from .data import build_domain
    from .evaluate import evaluate
    from .model import build_model

    store = CheckpointStore(config.checkpoint_dir)
    entry = next((e for e in store.entries() if e.file == file), None)
    if entry is None:
        raise CheckpointError(f"{file} is not in {store.root}'s manifest")
    state = store.load(entry)  # raises CheckpointError on a size or SHA-256 mismatch
    domain, model_name, seed = parse_run(entry.run)
    saved = ReasoningConfig(
        **{
            **entry.config,
            "seeds": tuple(entry.config["seeds"]),
            "domains": tuple(entry.config["domains"]),
            "models": tuple(entry.config["models"]),
        }
    )
    model = build_model(model_name, saved)
    model.load_state_dict(state["model"])
    data = build_domain(domain, saved.graphs_per_domain, seed=0)
    test = evaluate(model, data.test, device)
    return (
        f"`{entry.file}` verified (SHA-256 {entry.sha256[:12]}…, {entry.size:,} bytes): "
        f"{entry.run} at epoch {entry.epoch} scores **{pct(test.accuracy)}** on the "
        f"{len(data.test)} test graphs (validation {pct(entry.metrics.get('val_acc', 0.0))})."
    )
