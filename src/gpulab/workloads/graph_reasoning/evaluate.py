"""Evaluation: accuracy, per-class accuracy, confusion matrix, prediction histogram, collapse.

A model that answers one class for nearly every graph can still score near 50 % on balanced
data and look like it learned a little; the collapse detector names it instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .config import COLLAPSE_FRACTION


@dataclass
class Evaluation:
    """What a model predicted on one split."""

    accuracy: float
    loss: float
    per_class: list[float]
    confusion: list[list[int]]  # rows: true class, columns: predicted class
    histogram: list[int]  # predictions per class

    @property
    def collapse(self) -> tuple[int, float] | None:
        """(class, share) where one class takes more than COLLAPSE_FRACTION of predictions."""
        total = sum(self.histogram)
        if not total:
            return None
        top = max(range(len(self.histogram)), key=self.histogram.__getitem__)
        share = self.histogram[top] / total
        return (top, share) if share > COLLAPSE_FRACTION else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "loss": self.loss,
            "per_class": self.per_class,
            "confusion": self.confusion,
            "histogram": self.histogram,
            "collapse": self.collapse,
        }


def from_predictions(labels: list[int], predictions: list[int], loss: float) -> Evaluation:
    """Counts over two classes from the true labels and the predicted ones."""
    confusion = [[0, 0], [0, 0]]
    for y, p in zip(labels, predictions, strict=True):
        confusion[y][p] += 1
    per_class = [row[c] / sum(row) if sum(row) else float("nan") for c, row in enumerate(confusion)]
    correct = confusion[0][0] + confusion[1][1]
    histogram = [confusion[0][c] + confusion[1][c] for c in (0, 1)]
    return Evaluation(correct / max(len(labels), 1), loss, per_class, confusion, histogram)


def evaluate(model: Any, graphs: list[Any], device: Any, batch_size: int = 256) -> Evaluation:
    """The model's predictions on `graphs` (no gradients), as counts and mean cross-entropy."""
    import torch
    from torch_geometric.data import Batch

    model.eval()
    labels, predictions, loss_sum = [], [], 0.0
    with torch.no_grad():
        for start in range(0, len(graphs), batch_size):
            batch = Batch.from_data_list(graphs[start : start + batch_size]).to(device)
            logits, _ = model(batch)
            loss_sum += float(torch.nn.functional.cross_entropy(logits, batch.y, reduction="sum"))
            labels += batch.y.tolist()
            predictions += logits.argmax(1).tolist()
    return from_predictions(labels, predictions, loss_sum / max(len(graphs), 1))
