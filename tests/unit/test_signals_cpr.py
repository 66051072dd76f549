"""CPR metrics against synthetic depth traces whose truth is known by construction.

The generator below builds a compression cycle of period 60/rate s as a
raised-cosine push from the resting level to the peak depth and back over
``duty`` of the cycle (AHA: ~50 % compressing), then rest at ``lean_mm`` (0 =
full recoil; > 5 mm = the learner leans). Pauses are hands-off (depth 0).
Gaussian sensor noise is added (the ToF sensor's ~1-2 mm).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import pytest

from accessibility.signals import CprMetrics, WaveformWindow, cpr_metrics

FloatArray = npt.NDArray[np.float64]
TOL = 3.0  # brief: each derived value within 3 units (/min, mm, %, %)


@dataclass(frozen=True)
class Spec:
    rate_per_min: float = 110.0
    depth_mm: float = 55.0
    duration_s: float = 20.0
    lean_mm: float = 0.0
    lean_every: int = 1  # lean after every n-th compression
    pauses: tuple[tuple[float, float], ...] = ()  # (earliest start s, length s)
    noise_mm: float = 1.0
    rate_hz: float = 50.0
    seed: int = 0
    t0: float = 1_764_060_000.0


@dataclass
class Trace:
    times: FloatArray
    depth: FloatArray
    compressions: int = 0
    recoil_ok: int = 0
    hands_off_s: float = 0.0
    peaks: list[float] = field(default_factory=list)

    @property
    def recoil_pct(self) -> float:
        return 100.0 * self.recoil_ok / self.compressions

    @property
    def ccf_pct(self) -> float:
        return 100.0 * (1 - self.hands_off_s / float(self.times[-1] - self.times[0]))


def make_trace(spec: Spec, duty: float = 0.5) -> Trace:
    rng = np.random.default_rng(spec.seed)
    rel = np.arange(round(spec.duration_s * spec.rate_hz)) / spec.rate_hz
    clean = np.zeros(rel.size)
    out = Trace(times=spec.t0 + rel, depth=clean)
    pauses, start, rest = list(spec.pauses), 0.0, 0.0
    while True:
        if pauses and start >= pauses[0][0]:
            length = min(pauses.pop(0)[1], spec.duration_s - start)
            out.hands_off_s += length
            out.recoil_ok += int(out.compressions > 0 and rest > 5.0)  # released in the pause
            start, rest = start + length, 0.0
            continue
        period = 60.0 / spec.rate_per_min * (1 + 0.02 * rng.standard_normal())
        if start + period > spec.duration_s:
            break
        peak = spec.depth_mm + 1.5 * rng.standard_normal()
        before, rest = rest, spec.lean_mm if out.compressions % spec.lean_every == 0 else 0.0
        push = (rel >= start) & (rel < start + duty * period)
        phase = (rel[push] - start) / (duty * period)
        shape = 0.5 - 0.5 * np.cos(2 * np.pi * phase)
        base = np.where(phase < 0.5, before, rest)
        clean[push] = base + (peak - base) * shape
        clean[(rel >= start + duty * period) & (rel < start + period)] = rest
        out.compressions += 1
        out.recoil_ok += int(rest <= 5.0)
        out.peaks.append(peak)
        start += period
    clean[rel >= start] = rest
    out.depth = clean + spec.noise_mm * rng.standard_normal(rel.size)
    return out


def check(m: CprMetrics | None, tr: Trace, spec: Spec) -> CprMetrics:
    assert m is not None
    assert m.compressions == tr.compressions
    if m.current_pause_s == 0:
        assert abs(m.rate_per_min - spec.rate_per_min) <= TOL
    assert abs(m.mean_depth_mm - float(np.mean(tr.peaks))) <= TOL
    assert m.recoil_pct is not None
    assert abs(m.recoil_pct - tr.recoil_pct) <= TOL
    assert abs(m.ccf_pct - tr.ccf_pct) <= TOL
    assert m.newest_ts == pytest.approx(float(tr.times[-1]))
    return m


SEEDS = [0, 1, 2]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("rate_hz", [50.0, 25.0, 100.0])
def test_good_cpr(seed: int, rate_hz: float) -> None:
    spec = Spec(seed=seed, rate_hz=rate_hz)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert m.recoil_pct == pytest.approx(100.0)
    assert m.ccf_pct == pytest.approx(100.0, abs=0.5)
    assert m.pct_rate_in_target is not None and m.pct_rate_in_target >= 90
    assert m.pct_depth_in_target >= 85
    assert m.current_pause_s == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_too_slow(seed: int) -> None:
    spec = Spec(rate_per_min=80.0, seed=seed)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert m.pct_rate_in_target == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_too_shallow(seed: int) -> None:
    spec = Spec(depth_mm=35.0, noise_mm=2.0, seed=seed)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert m.pct_depth_in_target == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_too_fast_and_deep(seed: int) -> None:
    spec = Spec(rate_per_min=140.0, depth_mm=70.0, noise_mm=2.0, seed=seed)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert m.pct_rate_in_target == 0.0
    assert m.pct_depth_in_target == 0.0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("lean", "every"), [(8.0, 1), (12.0, 2), (20.0, 3)])
def test_leaning(seed: int, lean: float, every: int) -> None:
    spec = Spec(lean_mm=lean, lean_every=every, seed=seed)
    tr = make_trace(spec)
    check(cpr_metrics(tr.times, tr.depth), tr, spec)


@pytest.mark.parametrize("seed", SEEDS)
def test_four_second_pause(seed: int) -> None:
    spec = Spec(pauses=((8.0, 4.0),), seed=seed)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert tr.ccf_pct == pytest.approx(80.0, abs=0.1)
    assert m.rate_per_min == pytest.approx(110.0, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_pause_at_start_and_lean_into_pause(seed: int) -> None:
    spec = Spec(pauses=((0.0, 5.0), (12.0, 3.0)), lean_mm=9.0, lean_every=2, seed=seed)
    tr = make_trace(spec)
    check(cpr_metrics(tr.times, tr.depth), tr, spec)


@pytest.mark.parametrize("seed", SEEDS)
def test_learner_stops_rate_drops_to_zero(seed: int) -> None:
    spec = Spec(pauses=((14.0, 6.0),), seed=seed)
    tr = make_trace(spec)
    m = check(cpr_metrics(tr.times, tr.depth), tr, spec)
    assert m.rate_per_min == 0.0
    assert m.current_pause_s == pytest.approx(tr.hands_off_s, abs=0.6)
    assert m.pct_rate_in_target == pytest.approx(100.0, abs=5)


def test_trainer_view_while_streaming() -> None:
    """10 s of CPR, then the learner stops: rate 0 after 2 s, CCF falls, then None."""
    spec = Spec(duration_s=30.0, pauses=((10.0, 20.0),))
    tr = make_trace(spec)
    window = WaveformWindow(max_seconds=15.0, max_rate_hz=50.0)
    seen: list[tuple[float, CprMetrics | None]] = []
    for i in range(0, tr.times.size, 10):  # 0.2 s chunks, as a kit sends them
        window.extend(float(tr.times[i]), 50.0, tr.depth[i : i + 10])
        if i and i % 50 == 0:
            t, v = window.contiguous_tail()
            seen.append((float(t[-1] - tr.times[0]), cpr_metrics(t, v)))
    during = [m for ts, m in seen if 3 < ts < 10]
    assert all(m is not None and abs(m.rate_per_min - 110) <= TOL for m in during)
    stopped = [m for ts, m in seen if 12.6 < ts < 23]
    assert all(m is not None and m.rate_per_min == 0.0 for m in stopped)
    ccf = [m.ccf_pct for m in stopped if m is not None]
    assert ccf == sorted(ccf, reverse=True) and ccf[-1] < 40
    assert all(m is None for ts, m in seen if ts > 25.5)


@pytest.mark.parametrize("level", [0.0, 12.0, 40.0])
def test_no_compressions(level: float) -> None:
    rng = np.random.default_rng(5)
    t = np.arange(1000) / 50.0
    assert cpr_metrics(t, level + 1.5 * rng.standard_normal(t.size)) is None


def test_window_cut_mid_compression_and_degenerate_input() -> None:
    spec = Spec(duration_s=12.0)
    tr = make_trace(spec)
    m = cpr_metrics(tr.times[7:-7], tr.depth[7:-7])  # cut inside the first push
    assert m is not None and abs(m.rate_per_min - 110) <= TOL
    assert cpr_metrics(np.array([]), np.array([])) is None
    with pytest.raises(ValueError, match="same length"):
        cpr_metrics(tr.times, tr.depth[:-1])
    only_one = replace(spec, duration_s=1.0)
    one = make_trace(only_one)
    m1 = cpr_metrics(one.times, one.depth)
    assert m1 is not None and m1.compressions == 1 and m1.pct_rate_in_target is None
    assert m1.rate_per_min is None  # one compression: no rate yet, and not a stop (0)
    assert m1.pct_recoil_ok == m1.recoil_pct
