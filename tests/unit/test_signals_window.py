"""WaveformWindow: ordering, bounding, out-of-order chunks, rate changes."""

from __future__ import annotations

import numpy as np
import pytest

from accessibility.signals import WaveformWindow

T0 = 1_764_060_000.0


def stream(w: WaveformWindow, seconds: float, rate: float, chunk: int, t0: float = T0) -> None:
    n = int(seconds * rate)
    for i in range(0, n, chunk):
        w.extend(t0 + i / rate, rate, np.arange(i, min(n, i + chunk), dtype=np.float64))


def test_empty_window() -> None:
    w = WaveformWindow(10.0)
    assert len(w) == 0 and w.newest_ts is None and w.rate_hz is None
    assert w.times().size == 0 and w.values().size == 0
    w.extend(T0, 50.0, [])
    assert len(w) == 0


def test_in_order_chunks_keep_order_and_times() -> None:
    w = WaveformWindow(10.0, max_rate_hz=50.0)
    stream(w, 4.0, 50.0, chunk=7)
    assert len(w) == 200 and w.rate_hz == 50.0
    np.testing.assert_allclose(w.times(), T0 + np.arange(200) / 50.0)
    np.testing.assert_array_equal(w.values(), np.arange(200.0))
    assert w.newest_ts == pytest.approx(T0 + 199 / 50.0)
    assert w.values().dtype == np.float64


def test_bounded_by_time_and_memory() -> None:
    w = WaveformWindow(5.0, max_rate_hz=50.0)
    buffer_id = id(w._t)  # preallocated once, never reallocated
    stream(w, 60.0, 50.0, chunk=13)
    t = w.times()
    assert len(w) <= w.capacity == 251
    assert t[-1] - t[0] <= 5.0 + 1e-9
    assert np.all(np.diff(t) > 0)
    np.testing.assert_array_equal(w.values(), np.arange(3000 - len(w), 3000.0))
    assert id(w._t) == buffer_id


def test_faster_than_max_rate_keeps_newest_samples() -> None:
    w = WaveformWindow(2.0, max_rate_hz=50.0)
    w.extend(T0, 200.0, np.arange(1000.0))  # one chunk larger than the buffer
    assert len(w) == w.capacity
    assert w.values()[-1] == 999.0
    assert np.all(np.diff(w.times()) > 0)


def test_out_of_order_chunk_is_merged_in_time_order() -> None:
    w = WaveformWindow(10.0, max_rate_hz=50.0)
    chunks = [(i, np.arange(i, i + 10, dtype=np.float64)) for i in range(0, 200, 10)]
    order = np.random.default_rng(3).permutation(len(chunks))
    for k in order:
        i, vals = chunks[k]
        w.extend(T0 + i / 50.0, 50.0, vals)
    np.testing.assert_array_equal(w.values(), np.arange(200.0))
    np.testing.assert_allclose(w.times(), T0 + np.arange(200) / 50.0)


def test_duplicate_and_overlapping_chunks_change_nothing_twice() -> None:
    w = WaveformWindow(10.0, max_rate_hz=50.0)
    stream(w, 2.0, 50.0, chunk=10)
    before = w.values()
    w.extend(T0 + 20 / 50.0, 50.0, np.arange(20.0, 30.0) + 1000)  # QoS 1 redelivery
    np.testing.assert_array_equal(w.values(), before)  # the sample held wins
    w.extend(T0 + 95 / 50.0, 50.0, np.arange(95.0, 110.0))  # overlaps the newest samples
    np.testing.assert_array_equal(w.values(), np.arange(110.0))


def test_chunk_older_than_window_is_dropped() -> None:
    w = WaveformWindow(2.0, max_rate_hz=50.0)
    stream(w, 10.0, 50.0, chunk=10)
    before_t, before_v = w.times(), w.values()
    w.extend(T0, 50.0, np.full(10, -1.0))
    np.testing.assert_array_equal(w.times(), before_t)
    np.testing.assert_array_equal(w.values(), before_v)


def test_rate_change_restarts_window_and_old_rate_chunks_are_dropped() -> None:
    w = WaveformWindow(10.0)
    stream(w, 2.0, 50.0, chunk=10)
    w.extend(T0 + 2.0, 100.0, np.arange(50.0))
    assert w.rate_hz == 100.0 and len(w) == 50
    np.testing.assert_allclose(np.diff(w.times()), 0.01, atol=1e-6)
    w.extend(T0 + 1.0, 50.0, np.zeros(10))  # a late chunk at the old rate
    assert len(w) == 50 and w.rate_hz == 100.0
    w.extend(T0 + 2.5, 100.0 * (1 + 1e-4), np.arange(50.0, 60.0))  # clock rounding: same
    assert len(w) == 60


def test_contiguous_tail_splits_at_gap() -> None:
    w = WaveformWindow(30.0, max_rate_hz=50.0)
    stream(w, 3.0, 50.0, chunk=10)
    stream(w, 2.0, 50.0, chunk=10, t0=T0 + 10.0)  # kit offline for 7 s
    t, _v = w.contiguous_tail()
    assert t.size == 100 and t[0] == pytest.approx(T0 + 10.0)
    assert w.times().size == 250  # the window keeps everything


@pytest.mark.parametrize(
    ("ts0", "rate", "samples"),
    [(float("nan"), 50.0, [1.0]), (T0, 0.0, [1.0]), (T0, 50.0, [1.0, float("inf")])],
)
def test_invalid_chunks_are_refused_without_change(
    ts0: float, rate: float, samples: list[float]
) -> None:
    w = WaveformWindow(5.0)
    w.extend(T0 - 1, 50.0, [5.0])
    with pytest.raises(ValueError, match=r"finite|positive"):
        w.extend(ts0, rate, samples)
    assert len(w) == 1


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="max_seconds"):
        WaveformWindow(0.0)
    with pytest.raises(ValueError, match="max_rate_hz"):
        WaveformWindow(5.0, max_rate_hz=float("inf"))
