from __future__ import annotations

from pathlib import Path

import pytest

from gpulab.workloads.dataframes import Dataset, SuiteConfig, prepare_synthetic

# Quick but real: every op runs, warm-up + 3 timed repeats, no top-up repeats.
FAST = SuiteConfig(
    engines=("pandas", "pandas-arrow", "polars"), warmup=1, repeats=3, min_time_s=0.0
)


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return prepare_synthetic(3_000, tmp_path_factory.mktemp("small"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
