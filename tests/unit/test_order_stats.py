"""accessibility.signals.order_stats gives numpy's median and percentile to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accessibility.signals.order_stats import median, percentile

FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
WINDOWS = arrays(np.float64, st.integers(1, 700), elements=FINITE)


@settings(max_examples=300, deadline=None)
@given(WINDOWS)
def test_median_is_numpys(values: np.ndarray) -> None:
    assert median(values) == float(np.median(values))


@settings(max_examples=300, deadline=None)
@given(WINDOWS, st.sampled_from([0.0, 1.0, 2.5, 5.0, 33.3, 50.0, 95.0, 99.0, 100.0]))
def test_percentile_is_numpys(values: np.ndarray, q: float) -> None:
    assert percentile(values, q) == float(np.percentile(values, q))


@pytest.mark.parametrize("n", [600, 601, 300, 12])
def test_window_sizes_of_the_engine(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n) * 1e3
    before = values.copy()
    assert median(values) == float(np.median(values))
    assert percentile(values, 5) == float(np.percentile(values, 5))
    assert np.array_equal(values, before)  # the caller's window is left as it was


def test_the_ppg_windows_beat_amplitude_floor_many_times() -> None:
    # analyse_pulse's 5th percentile of a 12 s window at 50 Hz. Interpolating from below
    # for every fraction (not from above when it is >= 0.5, as numpy does) differs in the
    # last bit for about 1 window in 200: enough windows here to see it.
    rng = np.random.default_rng(5)
    for _ in range(3000):
        values = rng.normal(size=600) * 1e3
        assert percentile(values, 5) == float(np.percentile(values, 5))
