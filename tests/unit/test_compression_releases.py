"""Each compression at its release (a fall of 5 mm below its deepest point), before the
chest is back at rest: the detector's :class:`Release` events, on the synthetic traces of
test_signals_compressions (every compression known)."""

from __future__ import annotations

import numpy as np
import pytest

from accessibility.derived import MAX_PENDING_COMPRESSIONS, DerivedSignals
from accessibility.signals import Compression, CompressionDetector, Release
from tests.unit.test_signals_compressions import RATE_HZ, Push, steady, trace

FloatArray = np.ndarray


def feed(
    times: FloatArray, depth: FloatArray, chunk: int = 10
) -> tuple[list[tuple[int, Release]], list[tuple[int, Compression]]]:
    """(index of the chunk's last sample, event) of every release and completion."""
    detector = CompressionDetector()
    releases: list[tuple[int, Release]] = []
    completed: list[tuple[int, Compression]] = []
    for i in range(0, times.size, chunk):
        last = min(i + chunk, times.size) - 1
        released: list[Release] = []
        done = detector.add_chunk(float(times[i]), RATE_HZ, depth[i : i + chunk], released)
        releases += [(last, r) for r in released]
        completed += [(last, c) for c in done]
    return releases, completed


def test_each_compression_is_released_first_with_its_final_depth_interval_and_rate() -> None:
    times, depth, _ = trace([*steady(12), Push(pause_after_s=4.0), *steady(8, depth_mm=42.0)])
    releases, completed = feed(times, depth)
    assert len(releases) == len(completed) == 21
    for (at_release, r), (at_completion, c) in zip(releases, completed, strict=True):
        assert r.ts == c.ts  # the key a client matches the two by
        assert (r.depth_mm, r.interval_s, r.rate_per_min) == (
            c.depth_mm,
            c.interval_s,
            c.rate_per_min,
        )
        assert (r.depth_ok, r.rate_ok) == (c.depth_ok, c.rate_ok)
        assert at_release < at_completion  # its recoil is known only later
    assert releases[0][1].rate_per_min is None and releases[0][1].rate_ok is None
    assert releases[13][1].rate_per_min is None  # the first after the pause
    assert releases[5][1].rate_per_min == pytest.approx(110.0, abs=3.0)
    assert releases[15][1].depth_mm == pytest.approx(42.0, abs=2.0)
    assert releases[15][1].depth_ok is False


def test_a_release_comes_before_the_chest_is_back_at_rest() -> None:
    # Sample by sample: the release is known once the trace has fallen 5 mm (plus the
    # 0.06 s smoothing), while the chest is still more than 5 mm in.
    times, depth, peaks = trace(steady(20), noise_mm=0.0)
    releases, completed = feed(times, depth, chunk=1)
    assert len(releases) == 20
    for (index, r), peak in zip(releases, peaks, strict=True):
        assert r.ts == pytest.approx(peak, abs=0.02)
        back = int(np.searchsorted(times, peak)) + int(np.argmax(depth[times >= peak] <= 5.0))
        assert index < back, (index, back)
        assert depth[index] > 5.0
    assert all(at > index for (index, _), (at, _) in zip(releases, completed, strict=True))


@pytest.mark.parametrize("chunk", [1, 7, 100, 5000])
def test_chunking_does_not_change_the_releases(chunk: int) -> None:
    times, depth, _ = trace(steady(15, depth_mm=48.0) + steady(15, period_s=0.5))

    def rows(chunk: int) -> list[float]:  # equal but for float rounding of sample times
        return [
            x
            for _, r in feed(times, depth, chunk)[0]
            for x in (r.ts, r.depth_mm, r.interval_s or -1.0, r.rate_per_min or -1.0)
        ]

    assert rows(chunk) == pytest.approx(rows(10), rel=1e-6, abs=1e-6)
    assert len(rows(chunk)) == 30 * 4


def test_the_last_compression_is_released_long_before_it_completes() -> None:
    times, depth, peaks = trace(steady(5), tail_s=0.4)
    releases, completed = feed(times, depth)
    assert len(releases) == 5 and len(completed) == 4  # the last waits SETTLE_S for a next
    assert releases[-1][1].ts == pytest.approx(peaks[-1], abs=0.02)


def test_a_gap_completes_the_released_one_and_releases_nothing_twice() -> None:
    times, depth, _ = trace(steady(10))
    detector = CompressionDetector()
    releases: list[Release] = []
    completed: list[Compression] = []
    for start in (times, times + 60.0):  # the kit was offline for a minute
        for i in range(0, times.size, 10):
            completed += detector.add_chunk(float(start[i]), RATE_HZ, depth[i : i + 10], releases)
            detector.add_chunk(float(start[i]), RATE_HZ, depth[i : i + 10], releases)  # again
    assert len(releases) == len(completed) == 20
    assert [r.ts for r in releases] == [c.ts for c in completed]
    assert releases[10].interval_s is None


def test_derived_signals_hand_over_releases_before_their_compressions_bounded() -> None:
    times, depth, _ = trace(steady(10))
    engine = DerivedSignals()
    order: list[tuple[str, float]] = []
    for i in range(0, times.size, 10):
        engine.add_chunk("depth_mm", float(times[i]), RATE_HZ, depth[i : i + 10])
        order += [("release", r.ts) for r in engine.take_releases()]
        order += [("complete", c.ts) for c in engine.take_compressions()]
    assert len(order) == 20 and engine.take_releases() == []
    for ts in {ts for _, ts in order}:
        assert [kind for kind, t in order if t == ts] == ["release", "complete"]
    many = trace(steady(MAX_PENDING_COMPRESSIONS + 20, period_s=0.5))
    engine = DerivedSignals()
    for i in range(0, many[0].size, 10):
        engine.add_chunk("depth_mm", float(many[0][i]), RATE_HZ, many[1][i : i + 10])
    kept = engine.take_releases()
    assert len(kept) == MAX_PENDING_COMPRESSIONS and kept[-1].ts > kept[0].ts
