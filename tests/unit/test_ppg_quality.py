"""hr_ppg only from a pulse (issue 12, must-show 3): noise, finger-off and motion refused.

Everything goes through ``DerivedSignals`` in 10-sample chunks, as a kit's telemetry
would (devices/agent ``chunk_samples``), so the quality floor, the finger-off level,
the accelerometer and the stale marking are judged on the product's own path.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from accessibility.derived import HR_STALE_AFTER_S, DerivedSignals, DerivedValue
from accessibility.signals.ppg import MIN_QUALITY, analyse_pulse
from accessibility.signals.ppg_quality import MAX30102, assess_ppg
from devices.simulation.ppg import PpgSynth

FloatArray = npt.NDArray[np.float64]
T0 = 1_764_060_000.0
CHUNK = 10
FINGER_ON_DC = 80_000.0  # MAX30102 IR counts with a finger on (docs/domain.md)


def band_noise(rng: np.random.Generator, n: int, band: tuple[float, float] | None, rate: float):
    """Gaussian noise, white or band-limited to ``band`` Hz (an FFT brick-wall filter)."""
    z = rng.standard_normal(n)
    if band is not None:
        f = np.fft.rfftfreq(n, 1 / rate)
        spec = np.fft.rfft(z)
        spec[(f < band[0]) | (f > band[1])] = 0
        z = np.fft.irfft(spec, n)
    return z / z.std()


def stream(
    ppg: FloatArray, rate: float, accel: FloatArray | None = None, accel_rate: float = 50.0
) -> list[DerivedValue]:
    derived = DerivedSignals()
    out: list[DerivedValue] = []
    for i in range(0, ppg.size, CHUNK):
        t = T0 + i / rate
        if accel is not None:
            j = round(i / rate * accel_rate)
            chunk = accel[j : j + round(CHUNK * accel_rate / rate)]
            derived.add_chunk("accel_z", t, accel_rate, chunk.tolist())
        out.extend(derived.add_chunk("ppg", t, rate, ppg[i : i + CHUNK].tolist()))
    return out


def rates(values: list[DerivedValue]) -> list[float]:
    return [v.value for v in values if v.name == "hr_ppg" and not v.stale]


@pytest.mark.parametrize(
    "band", [None, (0.5, 4.0), (0.7, 3.0)], ids=["white", "0.5-4Hz", "0.7-3Hz"]
)
def test_thirty_seconds_of_noise_at_finger_on_level_give_no_heart_rate(band) -> None:
    rng = np.random.default_rng(12)
    rate = 50.0
    for _ in range(8):  # 8 x 30 s = 4 minutes of noise per kind, 576 recomputations
        x = FINGER_ON_DC + 400.0 * band_noise(rng, int(30 * rate), band, rate)
        out = stream(x, rate)
        quality = [v.value for v in out if v.name == "ppg_quality"]
        assert len(quality) >= 50  # the quality is published even when no rate is
        assert rates(out) == []
        assert max(quality) < MIN_QUALITY


def test_finger_off_counts_give_no_heart_rate_even_with_a_pulse_shape() -> None:
    """Ambient light with the finger off: a few thousand counts. Even a pulse-like ripple
    at that level (light flicker) is refused, by the DC level alone."""
    rate = 50.0
    synth = PpgSynth(4, rate, dc_counts=3_000.0, inverted=True)
    x = synth.chunk(0.0, int(30 * rate), 75.0)
    out = stream(x, rate)
    assert rates(out) == []
    assert all(v.value == 0.0 for v in out if v.name == "ppg_quality")
    rng = np.random.default_rng(3)
    assert assess_ppg(2_000 + 50 * rng.standard_normal(1500), rate).reason == "finger_off"
    # The same pulse at a finger-on level is read.
    on = PpgSynth(4, rate, dc_counts=FINGER_ON_DC, inverted=True).chunk(0.0, int(30 * rate), 75.0)
    assert rates(stream(on, rate)) and all(abs(r - 75) <= 5 for r in rates(stream(on, rate)))


def test_perfusion_index_outside_a_finger_range_is_not_a_pulse() -> None:
    rate = 50.0
    pulse = PpgSynth(5, rate, dc_counts=FINGER_ON_DC).chunk(0.0, int(12 * rate), 70.0)
    flat = FINGER_ON_DC + (pulse - FINGER_ON_DC) * 0.01  # PI 0.01 %: nothing pulses
    assert assess_ppg(flat, rate).reason == "low_perfusion"
    wild = FINGER_ON_DC + (pulse - FINGER_ON_DC) * 40.0  # PI ~40 %: the probe is moving
    assert assess_ppg(wild, rate).reason == "not_a_pulse"
    assert assess_ppg(pulse, rate).reason is None


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("bpm", [160, 170, 180])
def test_fast_pulse_at_25_hz_is_read_at_its_rate_not_a_third(bpm: int, seed: int) -> None:
    rate = 25.0
    synth = PpgSynth(seed, rate, dc_counts=FINGER_ON_DC, inverted=True)
    x = synth.chunk(0.0, int(60 * rate), float(bpm))
    out = stream(x, rate)
    got = rates(out)
    windows = [v for v in out if v.name == "ppg_quality" and v.ts - T0 >= 12.0]
    assert len(got) >= 0.9 * len(windows)  # a rate on nearly every full window
    worst = max(abs(r - bpm) for r in got)
    assert worst <= 5.0, (bpm, seed, worst)


def cpr_motion(seconds: float, rate: float, pulse_bpm: float) -> tuple[FloatArray, FloatArray]:
    """A finger PPG during CPR: the pulse plus a 1.83 Hz motion artefact 3x its size,
    and the kit's accel_z (gravity + 3.3 m/s^2 at the compression rate)."""
    synth = PpgSynth(9, rate, dc_counts=FINGER_ON_DC, inverted=True)
    x = synth.chunk(0.0, int(seconds * rate), pulse_bpm)
    t = np.arange(x.size) / rate
    motion = np.sin(2 * math.pi * 1.83 * t)
    ppg = x + 3.0 * synth.ac * motion
    ta = np.arange(int(seconds * 50.0)) / 50.0
    accel = 9.81 + 3.3 * np.sin(2 * math.pi * 1.83 * ta)
    return ppg, accel


def test_cpr_pace_motion_is_refused_when_the_kit_sends_accel_z() -> None:
    ppg, accel = cpr_motion(40.0, 50.0, 75.0)
    out = stream(ppg, 50.0, accel)
    assert rates(out) == []
    derived = DerivedSignals()
    derived.add_chunk("accel_z", T0, 50.0, accel[:600].tolist())
    derived.add_chunk("ppg", T0, 50.0, ppg[:600].tolist())
    assert derived.last_ppg_reason == "motion"


def test_a_still_accelerometer_does_not_hide_a_real_pulse() -> None:
    rate = 50.0
    x = PpgSynth(2, rate, dc_counts=FINGER_ON_DC, inverted=True).chunk(0.0, int(30 * rate), 72.0)
    rest = 9.81 + 0.02 * np.random.default_rng(0).standard_normal(30 * 50)
    got = rates(stream(x, rate, rest))
    assert len(got) >= 30 and all(abs(r - 72) <= 5 for r in got)


def test_last_heart_rate_is_marked_stale_five_seconds_after_the_pulse_is_lost() -> None:
    rate = 50.0
    pulse = PpgSynth(1, rate, dc_counts=FINGER_ON_DC, inverted=True).chunk(0.0, int(20 * rate), 66)
    off = 2_000 + 30 * np.random.default_rng(1).standard_normal(int(20 * rate))
    out = stream(np.concatenate([pulse, off]), rate)
    fresh = [v for v in out if v.name == "hr_ppg" and not v.stale]
    stale = [v for v in out if v.name == "hr_ppg" and v.stale]
    assert fresh and len(stale) == 1
    assert stale[0].value == fresh[-1].value and stale[0].ts == fresh[-1].ts
    # It comes with the first window at least 5 s after the last fresh one, not later.
    due = next(
        v for v in out if v.name == "ppg_quality" and v.ts - fresh[-1].ts >= HR_STALE_AFTER_S
    )
    assert out.index(stale[0]) == out.index(due) + 1


def test_flush_recomputes_what_a_throttled_replay_left_out() -> None:
    rate = 50.0
    x = PpgSynth(6, rate, dc_counts=FINGER_ON_DC, inverted=True).chunk(0.0, int(30 * rate), 80)
    derived = DerivedSignals()
    now = T0 + 3600.0  # the service clock: an hour later, so all of this is a replay
    for i in range(0, x.size, CHUNK):
        derived.add_chunk("ppg", T0 + i / rate, rate, x[i : i + CHUNK].tolist(), now=now)
    newest = T0 + (x.size - 1) / rate
    flushed = derived.flush()
    assert {v.name for v in flushed} >= {"hr_ppg", "ppg_quality"}
    assert all(v.ts == pytest.approx(newest) for v in flushed)
    assert derived.flush() == []  # nothing new since


def test_quality_components_separate_a_pulse_from_noise() -> None:
    rate = 50.0
    pulse = PpgSynth(8, rate, dc_counts=FINGER_ON_DC).chunk(0.0, int(12 * rate), 70.0)
    noise = band_noise(np.random.default_rng(8), int(12 * rate), (0.5, 4.0), rate)
    good, bad = analyse_pulse(pulse, rate), analyse_pulse(noise, rate)
    assert good.quality >= 0.6 > MIN_QUALITY > bad.quality
    assert assess_ppg(pulse, rate, sensor=MAX30102).estimate is not None
