"""The ladder's progress counts forward passes (work), not rungs (steps of very uneven cost)."""

from __future__ import annotations

import pytest

from gpulab.workloads.inference import LadderConfig, PassCount, planned_passes, run_ladder

QUICK = {"warmup": 1, "repeats": 3, "min_repeats": 3, "rung_budget_s": 0.1}


class Recorder:
    """A ProgressFn that keeps every report."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, float, str]] = []

    def __call__(self, done: float, total: float, note: str = "") -> None:
        self.reports.append((done, total, note))


def test_pass_count_revises_its_total_as_rungs_finish_or_drop_out() -> None:
    config = LadderConfig.for_profile("smoke", **QUICK)  # 2 + 1 + 3 = 6 passes a rung
    recorder = Recorder()
    count = PassCount(config, rungs=3, progress=recorder)
    assert count.total == 18
    count.start("eager-fp32", "copying")
    count.ran(2, 3, "timing")  # first call and probe; 1 warm-up + 2 timed calls to come
    assert (count.done, count.total) == (2, 17)
    count.ran(3, 0, "checking")
    count.finish("ok")
    count.start("cuda-graphs", "capturing")
    count.finish("skipped")  # its planned passes leave the total
    assert (count.done, count.total) == (5, 11)
    assert recorder.reports[-1] == (5, 11, "cuda-graphs: skipped")


def test_planned_passes_cover_every_planned_rung() -> None:
    config = LadderConfig.for_profile("smoke", rungs=("compile",), **QUICK)
    assert planned_passes(config) == 2 * 6  # eager-fp32 (the reference) joins the plan


@pytest.fixture(scope="module")
def reports() -> list[tuple[float, float, str]]:
    config = LadderConfig.bench_for_profile(
        "smoke", rungs=("eager-fp32", "compile", "cuda-graphs"), **QUICK
    )
    recorder = Recorder()
    run_ladder(config, progress=recorder)
    return recorder.reports


def test_the_ladder_reports_forward_passes_up_to_a_total_it_reaches(reports: list) -> None:
    done = [d for d, _, _ in reports]
    assert done == sorted(done) and done[0] == 0
    final_done, final_total, _ = reports[-1]
    # two measured rungs of 2 + warm-up + timed passes each; the skipped graph rung adds none
    assert final_done == final_total == 2 * (2 + 1 + 3)
    assert all(total > 0 and d <= total for d, total, _ in reports)


def test_the_notes_name_the_rung_and_the_compiler_at_work(reports: list) -> None:
    notes = [note for _, _, note in reports]
    assert any(n.startswith("compile: first call") and "compiles" in n for n in notes)
    assert any(n.startswith("eager-fp32: ") and "timed calls" in n for n in notes)
    assert "cuda-graphs: skipped" in notes


def test_the_rate_is_measured_from_after_the_first_call(reports: list) -> None:
    # EtaEstimator starts its rate at the first report with work done: here that is after the
    # model was built and eager-fp32's first call ran, so neither sets the ETA.
    first = next(i for i, (done, _, _) in enumerate(reports) if done > 0)
    assert [note for _, _, note in reports[:first]][-1] == "eager-fp32: first call"
    assert reports[0][2] == "building the model and its inputs"
