"""Per-compression detection on synthetic depth traces whose every compression is known.

A trace is a list of pushes: each one a raised-cosine press from the level left by the
previous release to its peak depth and back to its end level over half its cycle, then
rest (AHA: ~50 % of the cycle compressing). ``offset_mm`` shifts the whole trace (a kit
whose 0 is off), pauses are hands-off at the offset, and Gaussian sensor noise is added.
The detector is fed chunk by chunk, as the kit sends them.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

from accessibility.derived import MAX_PENDING_COMPRESSIONS, DerivedSignals
from accessibility.signals import Compression, CompressionDetector

FloatArray = npt.NDArray[np.float64]
RATE_HZ = 50.0
T0 = 1_764_060_000.0


@dataclass(frozen=True)
class Push:
    period_s: float = 60.0 / 110.0
    depth_mm: float = 55.0
    end_mm: float = 0.0  # left pressed in after the release (0 = full recoil)
    pause_after_s: float = 0.0  # hands off after this cycle


def trace(
    pushes: list[Push], *, lead_s: float = 3.0, tail_s: float = 2.0, offset_mm: float = 0.0,
    noise_mm: float = 1.0, seed: int = 0,
) -> tuple[FloatArray, FloatArray, list[float]]:  # fmt: skip
    """(times, depth, true peak times) of the pushes after ``lead_s`` of rest."""
    total = lead_s + sum(p.period_s + p.pause_after_s for p in pushes) + tail_s
    t = np.arange(round(total * RATE_HZ)) / RATE_HZ
    depth = np.zeros(t.size)
    onset, level, peaks = lead_s, 0.0, []
    for p in pushes:
        u = (t - onset) / p.period_s
        down = (u >= 0) & (u < 0.25)
        up = (u >= 0.25) & (u < 0.5)
        depth[down] = level + (p.depth_mm - level) * (0.5 - 0.5 * np.cos(np.pi * u[down] / 0.25))
        ease = 0.5 - 0.5 * np.cos(np.pi * (u[up] - 0.25) / 0.25)
        depth[up] = p.depth_mm + (p.end_mm - p.depth_mm) * ease
        rest = (u >= 0.5) & (u < 1.0)
        depth[rest] = p.end_mm
        peaks.append(T0 + onset + 0.25 * p.period_s)
        level = p.end_mm
        onset += p.period_s
        if p.pause_after_s:
            level = 0.0
            onset += p.pause_after_s
    noise = np.random.default_rng(seed).normal(0.0, noise_mm, t.size)
    return T0 + t, depth + offset_mm + noise, peaks


def detect(times: FloatArray, depth: FloatArray, chunk: int = 10) -> list[Compression]:
    detector = CompressionDetector()
    out: list[Compression] = []
    for i in range(0, times.size, chunk):
        out += detector.add_chunk(float(times[i]), RATE_HZ, depth[i : i + chunk])
    return out


def same(a: list[Compression], b: list[Compression]) -> bool:
    """Equal but for float rounding (sample times are ts0 + i / rate per chunk)."""

    def row(c: Compression) -> list[float]:
        return [c.ts, c.depth_mm, c.recoil_mm, c.interval_s or -1.0, c.rate_per_min or -1.0]

    return len(a) == len(b) and all(
        row(x) == pytest.approx(row(y), rel=1e-6, abs=1e-6) for x, y in zip(a, b, strict=True)
    )


def steady(n: int, **kw: float) -> list[Push]:
    return [Push(**kw) for _ in range(n)]  # type: ignore[arg-type]


def test_each_steady_compression_is_found_with_its_depth_time_and_rate() -> None:
    times, depth, peaks = trace(steady(30))
    found = detect(times, depth)
    assert len(found) == 30
    assert [c.ts for c in found] == pytest.approx(peaks, abs=0.02)
    assert [c.depth_mm for c in found] == pytest.approx([55.0] * 30, abs=2.0)
    assert found[0].interval_s is None and found[0].rate_per_min is None
    assert found[0].in_target() == {"depth": True, "rate": None, "recoil": True}
    rates = [c.rate_per_min for c in found[1:]]
    assert rates == pytest.approx([110.0] * 29, abs=3.0)
    assert all(c.in_target() == {"depth": True, "rate": True, "recoil": True} for c in found[1:])


@pytest.mark.parametrize("chunk", [1, 7, 10, 100, 5000])
def test_chunking_does_not_change_the_result(chunk: int) -> None:
    times, depth, _ = trace(steady(20, depth_mm=48.0) + steady(20, period_s=0.5))
    assert same(detect(times, depth, chunk), detect(times, depth, 10))


@pytest.mark.parametrize("depth_mm", [9.0, 20.0, 42.0, 70.0])
def test_weak_and_deep_compressions_are_found_with_their_depth(depth_mm: float) -> None:
    times, depth, _ = trace(steady(20, depth_mm=depth_mm))
    found = detect(times, depth)
    assert len(found) == 20
    assert np.mean([c.depth_mm for c in found]) == pytest.approx(depth_mm, abs=1.5)
    assert not any(c.depth_ok for c in found)


@pytest.mark.parametrize("per_min", [20.0, 26.0, 60.0, 140.0])
def test_slow_and_fast_rates_are_measured_not_zero(per_min: float) -> None:
    times, depth, _ = trace(steady(8, period_s=60.0 / per_min))
    found = detect(times, depth)
    assert len(found) == 8
    assert [c.rate_per_min for c in found[1:]] == pytest.approx([per_min] * 7, rel=0.05)
    assert all(c.rate_ok is False for c in found[1:])


def test_the_first_compression_after_a_pause_has_no_rate() -> None:
    times, depth, _ = trace([*steady(9), Push(pause_after_s=4.0), *steady(10)])
    found = detect(times, depth)
    assert len(found) == 20
    after = found[10]
    assert after.rate_per_min is None and after.rate_ok is None
    assert after.interval_s == pytest.approx(4.0 + 60 / 110, abs=0.05)
    assert found[11].rate_per_min == pytest.approx(110, abs=3)


def test_a_one_second_hesitation_is_one_slow_interval() -> None:
    times, depth, _ = trace([*steady(10), Push(pause_after_s=1.0), *steady(10)])
    rates = [c.rate_per_min for c in detect(times, depth)[1:]]
    slow = [r for r in rates if r is not None and r < 100]
    assert slow == [pytest.approx(60 / (1.0 + 60 / 110), abs=2)]
    assert None not in rates


@pytest.mark.parametrize("offset_mm", [-6.0, 6.0])
def test_a_zero_offset_is_corrected_by_the_rest_position_before_compressions(
    offset_mm: float,
) -> None:
    times, depth, _ = trace(steady(20), offset_mm=offset_mm)
    found = detect(times, depth)
    assert [c.depth_mm for c in found] == pytest.approx([55.0] * 20, abs=2.0)
    assert all(c.depth_ok and c.recoil_ok for c in found)


def test_the_rest_position_is_rechecked_in_a_pause() -> None:
    # No rest before the first compressions; the kit's 0 is 6 mm below the chest at rest.
    pushes = [*steady(14), Push(pause_after_s=4.0), *steady(15)]
    times, depth, _ = trace(pushes, lead_s=0.3, offset_mm=6.0)
    found = detect(times, depth)
    assert len(found) == 30
    before, after = found[:15], found[15:]
    assert np.mean([c.depth_mm for c in before]) == pytest.approx(61.0, abs=1.5)  # not known yet
    assert [c.depth_mm for c in after] == pytest.approx([55.0] * 15, abs=2.0)


def test_leaning_during_a_pause_is_not_taken_for_the_rest_position() -> None:
    pushes = [*steady(10), Push(end_mm=15.0, pause_after_s=4.0), *steady(10)]
    times, depth, _ = trace(pushes)
    # Keep leaning at 15 mm through the pause.
    pause = (times >= times[0] + 3.0 + 11 * 60 / 110) & (times < times[0] + 3.0 + 11 * 60 / 110 + 4)
    depth[pause] = 15.0
    found = detect(times, depth)
    assert [c.depth_mm for c in found[11:]] == pytest.approx([55.0] * 10, abs=2.0)
    assert found[10].recoil_mm == pytest.approx(15.0, abs=2.0)
    assert found[10].recoil_ok is False


def test_recoil_is_the_lowest_point_before_the_next_compression() -> None:
    pushes = [Push(end_mm=12.0 if i % 2 else 0.0) for i in range(20)]
    times, depth, _ = trace(pushes)
    found = detect(times, depth)
    assert len(found) == 20
    # (the last one is released in full at the end of the trace)
    assert [c.recoil_mm for c in found[1:-1:2]] == pytest.approx([12.0] * 9, abs=2.5)
    assert [c.recoil_ok for c in found[:-1]] == [i % 2 == 0 for i in range(19)]


def test_a_redelivered_chunk_adds_nothing_and_a_gap_restarts_the_stream() -> None:
    times, depth, _ = trace(steady(20))
    detector = CompressionDetector()
    first: list[Compression] = []
    for i in range(0, times.size, 10):
        first += detector.add_chunk(float(times[i]), RATE_HZ, depth[i : i + 10])
        first += detector.add_chunk(float(times[i]), RATE_HZ, depth[i : i + 10])  # again
    assert same(first, detect(times, depth))
    later = times + 60.0  # the kit was offline for a minute
    again: list[Compression] = []
    for i in range(0, times.size, 10):
        again += detector.add_chunk(float(later[i]), RATE_HZ, depth[i : i + 10])
    assert len(again) == 20
    assert again[0].interval_s is None


def test_bad_samples_are_refused() -> None:
    detector = CompressionDetector()
    with pytest.raises(ValueError, match="finite"):
        detector.add_chunk(T0, RATE_HZ, [1.0, float("nan")])
    with pytest.raises(ValueError, match="rate_hz"):
        detector.add_chunk(T0, 0.0, [1.0])


def test_derived_signals_hand_over_compressions_and_measure_depth_from_rest() -> None:
    times, depth, _ = trace(steady(30), offset_mm=-6.0)
    engine = DerivedSignals()
    taken: list[Compression] = []
    values: dict[str, float] = {}
    for i in range(0, times.size, 10):
        for v in engine.add_chunk("depth_mm", float(times[i]), RATE_HZ, depth[i : i + 10]):
            values[v.name] = v.value
        taken += engine.take_compressions()
    assert same(taken, detect(times, depth))
    assert values["cpr_depth_mm"] == pytest.approx(55.0, abs=2.0)
    assert engine.take_compressions() == []


def test_compressions_not_taken_are_bounded() -> None:
    pushes = steady(MAX_PENDING_COMPRESSIONS + 20, period_s=0.5)
    times, depth, _ = trace(pushes)
    engine = DerivedSignals()
    for i in range(0, times.size, 10):
        engine.add_chunk("depth_mm", float(times[i]), RATE_HZ, depth[i : i + 10])
    kept = engine.take_compressions()
    assert len(kept) == MAX_PENDING_COMPRESSIONS
    assert engine.compressions_dropped == 20
    assert kept[-1].ts > kept[0].ts


def test_a_long_replayed_chunk_is_not_kept_alive_by_the_detector() -> None:
    """After a 5-minute chunk (a kit's spool replayed in one message) the detector keeps
    only its short smoothing and rest-check tails, not views into the whole chunk."""
    times, depth, _ = trace(steady(550))  # 5 min at 110/min: 15,000+ samples
    detector = CompressionDetector()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        found = detector.add_chunk(float(times[0]), RATE_HZ, depth)
        del found
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # REST_S + HISTORY_MARGIN_S (2.5 s) of smoothed samples and 2 x the smoothing half
    # width of raw ones, times and values, float64: about 2.3 kB at 50 Hz; the chunk
    # itself is 2 x 120 kB.
    assert kept < 8_000, kept
