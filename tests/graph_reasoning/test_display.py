"""The per-domain verdict says in words whether the hierarchy helped, never more than the intervals allow."""

from __future__ import annotations

from gpulab.workloads.graph_reasoning.display import hierarchy_verdict


def test_overlapping_intervals_claim_no_gain_whatever_the_means() -> None:
    for ratio in (0.94, 1.0, 1.2):
        assert "no gain from the hierarchy" in hierarchy_verdict(ratio, separated=False)


def test_separated_intervals_name_the_winner() -> None:
    assert hierarchy_verdict(1.1, separated=True).endswith("the hierarchy helps here")
    assert "does not help" in hierarchy_verdict(0.9, separated=True)
