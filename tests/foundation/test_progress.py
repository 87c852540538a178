"""The ETA comes from work measured after the first report, in units of comparable cost."""

from __future__ import annotations

import pytest

from gpulab.progress import EtaEstimator


class FakeClock:
    """A clock the test moves by hand, so rates are exact."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_slow_first_step_does_not_set_the_eta() -> None:
    clock = FakeClock()
    eta = EtaEstimator(total=100, clock=clock)
    clock.now += 30  # warm-up: the first 10 units took 30 s (compilation)
    eta.update(10)
    assert eta.eta_s is None  # one report: no rate measured yet
    clock.now += 9  # then 1 unit per second
    eta.update(19)
    assert eta.eta_s == pytest.approx(81.0)


def test_uneven_steps_are_counted_by_their_work() -> None:
    clock = FakeClock()
    eta = EtaEstimator(total=1_000 + 10_000 + 100_000, clock=clock)
    eta.update(1_000)  # rows of the first table size
    clock.now += 2
    eta.update(11_000)  # 10,000 rows in 2 s: 5,000 rows/s
    assert eta.eta_s == pytest.approx(100_000 / 5_000)


def test_describe_says_measuring_until_a_rate_exists_and_done_at_the_end() -> None:
    clock = FakeClock()
    eta = EtaEstimator(total=4, clock=clock)
    assert "measuring the rate" in eta.describe()
    eta.update(1)
    clock.now += 1
    eta.update(2)
    assert "about 2 s left" in eta.describe()
    eta.update(4)
    assert eta.describe().endswith("done")


def test_progress_never_goes_backwards_or_past_the_total() -> None:
    eta = EtaEstimator(total=10, clock=FakeClock())
    eta.update(6)
    eta.update(3)
    eta.update(50)
    assert eta.done == 10


def test_zero_total_work_is_rejected() -> None:
    with pytest.raises(ValueError, match="total work must be positive"):
        EtaEstimator(total=0)


def test_a_library_tqdm_bar_reports_to_the_progress_callback() -> None:
    from gpulab.progress import tqdm_forwarding

    seen: list[tuple[float, float, str]] = []
    bar_class = tqdm_forwarding(lambda done, total, note: seen.append((done, total, note)))
    items = list(bar_class(["a", "b", "c"], desc="Converting tensors"))
    with bar_class(total=10, desc="download") as bar:
        bar.update(4)
    assert items == ["a", "b", "c"]
    assert seen == [
        (1, 3, "Converting tensors"),
        (2, 3, "Converting tensors"),
        (3, 3, "Converting tensors"),
        (4, 10, "download"),
    ]


def test_printed_progress_prints_at_most_once_per_interval_and_always_the_end(capsys) -> None:
    from gpulab.progress import printed_progress

    now = [0.0]
    say = printed_progress(every_s=10, clock=lambda: now[0])
    for step in range(1, 5):  # four reports within 3 s: only the first is printed
        now[0] = step - 1
        say(step, 20, f"step {step}")
    now[0] = 12.0
    say(5, 20, "step 5")
    say(20, 20, "done")
    assert capsys.readouterr().out.splitlines() == [
        "  [  5 %] step 1",
        "  [ 25 %] step 5",
        "  [100 %] done",
    ]
