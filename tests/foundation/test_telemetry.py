import threading
import time

import pytest

from gpulab.telemetry import Sample, TelemetrySampler, decode_throttle_reasons, summarise


def fake_sample(gpu: int = 0, util: float = 50.0, reasons: tuple[str, ...] = ()) -> Sample:
    return Sample(time.monotonic(), gpu, util, 10.0, 1000.0, 80000.0, 60.0, 300.0, 1980.0, reasons)


class CountingReader:
    """Stands in for NVML (absent on CPU machines) to test the sampler's own logic."""

    def __init__(self, gpus: int = 1) -> None:
        self.calls = 0
        self.gpus = gpus

    def __call__(self) -> list[Sample]:
        self.calls += 1
        return [fake_sample(gpu, util=float(self.calls)) for gpu in range(self.gpus)]


def test_sampler_reads_at_the_requested_rate() -> None:
    reader = CountingReader()
    with TelemetrySampler(interval_s=0.02, reader=reader) as sampler:
        time.sleep(0.5)
    rate = summarise(sampler.samples())[0].samples_per_s
    assert 25 <= rate <= 60  # 50/s requested; generous for a loaded CI machine


def test_history_is_bounded_per_gpu() -> None:
    reader = CountingReader(gpus=2)
    sampler = TelemetrySampler(interval_s=0.005, history=5, gpus=[0, 1], reader=reader)
    with sampler:
        time.sleep(0.2)
    assert reader.calls > 5
    assert len(sampler.samples()) == 10
    assert len(sampler.samples(gpu=1)) == 5
    # The newest readings are kept.
    assert sampler.samples(gpu=0)[-1].utilization_pct == pytest.approx(reader.calls, abs=1)


def test_stop_ends_the_thread() -> None:
    sampler = TelemetrySampler(interval_s=0.01, reader=CountingReader()).start()
    assert sampler.running
    sampler.stop()
    assert not sampler.running
    assert not any(t.name == "gpulab-telemetry" and t.is_alive() for t in threading.enumerate())


def test_a_failing_read_is_counted_not_fatal() -> None:
    calls = {"n": 0}

    def flaky() -> list[Sample]:
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("GPU lost")
        return [fake_sample()]

    with TelemetrySampler(interval_s=0.01, reader=flaky) as sampler:
        time.sleep(0.15)
    assert sampler.read_errors >= 2 and sampler.samples()


def test_summary_reports_statistics_and_slowdowns() -> None:
    rows = [
        fake_sample(util=u, reasons=r)
        for u, r in [(10, ()), (90, ("sw_power_cap",)), (50, ("gpu_idle",))]
    ]
    summary = summarise(rows)[0]
    assert summary.samples == 3
    assert summary.utilization_pct.max == 90 and summary.utilization_pct.p50 == 50
    assert summary.slowdown_samples == 1  # gpu_idle is not a slowdown
    assert summary.throttle_reasons_seen == ["gpu_idle", "sw_power_cap"]


def test_throttle_bits_decode_to_names() -> None:
    assert decode_throttle_reasons(0x4 | 0x40) == ("sw_power_cap", "hw_thermal_slowdown")
    assert decode_throttle_reasons(0) == ()


@pytest.mark.parametrize("kwargs", [{"interval_s": 0}, {"history": 0}])
def test_invalid_sampler_settings_are_rejected(kwargs) -> None:
    with pytest.raises(ValueError):
        TelemetrySampler(reader=CountingReader(), **kwargs)


def _loaded(clock: float, power: float, reasons: tuple[str, ...]) -> Sample:
    return Sample(time.monotonic(), 0, 100.0, 50.0, 9000.0, 80000.0, 70.0, power, clock, reasons)


def test_clock_report_takes_the_median_clock_and_only_slowdown_reasons() -> None:
    from gpulab.telemetry import clock_report

    samples = [
        _loaded(1980.0, 90.0, ("gpu_idle",)),  # the sample before the load started
        _loaded(1350.0, 700.0, ("sw_power_cap",)),
        _loaded(1340.0, 702.0, ("sw_power_cap",)),
    ]
    report = clock_report(samples, (1980.0, 700.0))
    assert report is not None
    assert report.sm_clock_mhz == 1350.0
    assert report.power_max_w == 702.0
    assert report.slowdown_reasons == ["sw_power_cap"]
    assert report.describe() == "SM 1350 MHz of 1980 max, 702 W of a 700 W limit: sw_power_cap"
    assert clock_report([]) is None


def test_clock_watch_samples_during_the_block_and_reports_on_exit() -> None:
    from gpulab.telemetry import ClockWatch

    reader = CountingReader()
    with ClockWatch(0, interval_s=0.01, reader=reader) as watch:
        assert watch.report is None
        time.sleep(0.1)  # stands in for a measurement while the reader is polled
    assert watch.report is not None
    assert watch.report.samples == reader.calls >= 3
    assert watch.report.slowdown_reasons == []
    assert "no slowdown reported" in watch.report.describe()
    with ClockWatch(None) as cpu:  # a CPU measurement has no clocks to report
        pass
    assert cpu.report is None
