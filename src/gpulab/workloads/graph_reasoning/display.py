"""What a run shows: tables and chart rows, formatted once so cards and tables agree."""

from __future__ import annotations

import math
from typing import Any

from .config import DOCUMENT_ACCURACY, DOMAIN_LABELS, HIERARCHICAL, MODEL_LABELS
from .domains import NODE_TYPES, RELATIONS, Instance
from .suite import SuiteResult

CURVE_METRICS = {
    "train_loss": ("loss", "train"),
    "val_loss": ("loss", "validation"),
    "train_acc": ("accuracy", "train"),
    "val_acc": ("accuracy", "validation"),
}


def pct(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def interval(mean: float, half: float) -> str:
    return pct(mean) if math.isnan(half) else f"{pct(mean)} ± {100 * half:.1f}"


def curve_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Long-form points (epoch, run, metric, split, value) of the live and final curves."""
    out = []
    for row in rows:
        for key, (metric, split) in CURVE_METRICS.items():
            out.append(
                {
                    "epoch": row["epoch"],
                    "run": row["run"],
                    "model": row["model"],
                    "domain": row["domain"],
                    "metric": metric,
                    "split": split,
                    "value": row[key],
                }
            )
    return out


def history_rows(result: SuiteResult) -> list[dict[str, Any]]:
    """Every epoch of every run, for the curves of a finished run and the CSV export."""
    return [
        {"run": run.key, "domain": run.domain, "model": run.model, "seed": run.seed, **row}
        for run in result.runs
        for row in run.history
    ]


def balance_rows(result: SuiteResult) -> list[dict[str, Any]]:
    return [
        {"domain": DOMAIN_LABELS[domain], "split": split, **counts}
        for domain, splits in result.balance.items()
        for split, counts in splits.items()
    ]


def summary_rows(result: SuiteResult) -> list[dict[str, Any]]:
    """Mean test accuracy over seeds with its 95 % interval, per domain and model."""
    return [
        {
            "domain": DOMAIN_LABELS[r["domain"]],
            "model": MODEL_LABELS[r["model"]],
            "seeds": r["seeds"],
            "test accuracy (95 % CI)": interval(r["mean"], r["ci95"]),
            "document": pct(DOCUMENT_ACCURACY[r["domain"]]) if r["model"] == HIERARCHICAL else "",
        }
        for r in result.summary()
    ]


def hierarchy_verdict(ratio: float, separated: bool) -> str:
    """What one domain's comparison says about the hierarchy, in words a reader cannot misread."""
    if not separated:
        return "intervals overlap or one seed only: this run shows no gain from the hierarchy"
    if ratio > 1:
        return "intervals separate: the hierarchy helps here"
    return "intervals separate: the baseline is better; the hierarchy does not help here"


def verdict_lines(result: SuiteResult) -> list[str]:
    """One line per domain: ours vs the best baseline and vs the document's figure."""
    lines = []
    for v in result.verdicts():
        ours, base = v["ours"], v["baseline"]
        doc = DOCUMENT_ACCURACY[v["domain"]]
        sep = hierarchy_verdict(v["ratio"], v["separated"])
        lines.append(
            f"- **{DOMAIN_LABELS[v['domain']]}**: ours {interval(*ours)} vs "
            f"{MODEL_LABELS[v['best_baseline']]} {interval(*base)} (ratio {v['ratio']:.2f}; "
            f"{sep}); the document's {pct(doc)} is "
            f"{'beaten' if ours[0] > doc else 'not beaten'}."
        )
    return lines


def run_rows(result: SuiteResult) -> list[dict[str, Any]]:
    """Per run: test accuracy, per-class accuracy, prediction histogram, collapse (narrow)."""
    rows = []
    for run in result.runs:
        test = run.test
        collapse = test.collapse if test else None
        epochs = f"{run.best_epoch} of {len(run.history)}"
        if run.resumed_from:
            epochs += f" (resumed at {run.resumed_from})"
        rows.append(
            {
                "run": f"{run.domain} · {run.model} · s{run.seed}",
                "best epoch": epochs,
                "test acc": pct(test.accuracy) if test else "–",
                "class 0 / 1": " / ".join(pct(a) for a in test.per_class) if test else "–",
                "predicted 0 / 1": " / ".join(map(str, test.histogram)) if test else "–",
                "collapse": f"class {collapse[0]} ({pct(collapse[1])})" if collapse else "",
                "graphs/s": f"{run.graphs_per_s:,.0f}",
            }
        )
    return rows


def collapses(result: SuiteResult) -> list[str]:
    """Runs whose test predictions collapsed onto one class."""
    out = []
    for run in result.runs:
        found = run.test.collapse if run.test else None
        if found:
            out.append(f"{run.key}: {pct(found[1])} of test predictions are class {found[0]}")
    return out


def confusion_rows(result: SuiteResult, model: str = HIERARCHICAL) -> list[dict[str, Any]]:
    """Confusion counts of `model`'s first seed per domain, long-form for a heatmap."""
    rows = []
    for run in result.runs:
        if run.model != model or run.seed != result.config.seeds[0] or not run.test:
            continue
        for true in (0, 1):
            for pred in (0, 1):
                rows.append(
                    {
                        "domain": DOMAIN_LABELS[run.domain],
                        "true": f"class {true}",
                        "predicted": f"class {pred}",
                        "count": run.test.confusion[true][pred],
                    }
                )
    return rows


def cross_domain_rows(result: SuiteResult) -> list[dict[str, Any]]:
    return [
        {
            "trained on": DOMAIN_LABELS[r["trained on"]],
            "model": MODEL_LABELS[r["model"]],
            **{f"test: {DOMAIN_LABELS[d]}": pct(r[d]) for d in result.config.domains},
        }
        for r in result.cross_domain
    ]


def example_graph(inst: Instance) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Nodes on a circle (type as colour) and edges (relation as tooltip) of one instance."""
    n = inst.n_nodes
    pos = [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)]
    nodes = [
        {"x": x, "y": y, "node": i, "type": NODE_TYPES[t]}
        for i, ((x, y), t) in enumerate(zip(pos, inst.node_types, strict=True))
    ]
    edges = [
        {"x": pos[s][0], "y": pos[s][1], "x2": pos[d][0], "y2": pos[d][1], "relation": RELATIONS[r]}
        for s, r, d in inst.edges
    ]
    return nodes, edges


def checkpoint_rows(entries: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "run": e.run,
            "epoch": e.epoch,
            "best": "★" if e.best else "",
            "val acc": pct(e.metrics.get("val_acc", math.nan)),
            "val loss": f"{e.metrics.get('val_loss', math.nan):.3f}",
            "sha256": e.sha256[:12],
            "KiB": round(e.size / 1024, 1),
        }
        for e in entries
    ]


def meaning_text(result: SuiteResult) -> str:
    """What the run's figures say, every number from the result."""
    lines = verdict_lines(result)
    if not lines:
        return "Train the hierarchical model and at least one baseline to compare them."
    seeds = len(result.config.seeds)
    helps = [v for v in result.verdicts() if v["ratio"] > 1]
    text = "\n".join(lines) + "\n\n"
    text += (
        f"The hierarchy beats the best baseline on {len(helps)} of {len(lines)} domains "
        f"(mean over {seeds} seed{'s' if seeds > 1 else ''}). "
    )
    if seeds < 3:
        text += "With fewer than three seeds the intervals are too wide to claim a difference. "
    mlp = [r for r in result.summary() if r["model"] == "bag-of-relations-mlp"]
    if mlp:
        text += (
            "The bag-of-relations MLP reaches "
            + ", ".join(f"{pct(r['mean'])} on {DOMAIN_LABELS[r['domain']]}" for r in mlp)
            + ": counts of relations and node types say little here, the structure carries "
            "the label. "
        )
    text += (
        "The cross-domain table shows each model near chance off its own domain: what it "
        "learned is the domain's rule, not a general reasoning skill."
    )
    return text
