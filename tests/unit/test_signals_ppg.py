"""Heart rate from PPG against the field's reference tools (docs/domain.md).

(a) NeuroKit2 ``ppg_simulate`` at known rates: within 2 bpm.
(b) HeartPy's bundled recordings streamed as telemetry: 10-sample chunks at the
    recording's rate (the kit agent's default ``chunk_samples``) go through
    ``DerivedSignals``, the product's own path (12 s window, recomputed every
    0.5 s); every ``hr_ppg`` it emits is compared with ``heartpy.process`` on the
    very window it was computed from: within 5 %, apart from a small, bounded
    share of windows (see ``test_heartpy_recordings_through_derived_signals``).
    Each recording is tested at its own rate (100 Hz, ~117 Hz from data2's ms
    timer, ~100.4 Hz from data3's datetime column, as HeartPy's docs compute
    them) and decimated 2:1 (pairwise mean, a crude anti-alias low-pass) as a
    ~50 Hz kit would send it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import heartpy as hp
import neurokit2 as nk
import numpy as np
import numpy.typing as npt
import pytest

from accessibility.derived import PPG_WINDOW_S, RECOMPUTE_EVERY_S, DerivedSignals
from accessibility.signals import heart_rate_from_ppg
from accessibility.signals.ppg_quality import UNSCALED

FloatArray = npt.NDArray[np.float64]
T0 = 1_764_060_000.0
HP_DATA = Path(hp.__file__).parent / "data"
# ppg_simulate warns about its own resampling of duplicate x values at high rates.
NK_WARNINGS = pytest.mark.filterwarnings("ignore:Duplicate x values:RuntimeWarning")


def simulate(bpm: float, seed: int, seconds: float = 20.0, rate: float = 50.0) -> FloatArray:
    x = nk.ppg_simulate(
        duration=seconds,
        sampling_rate=int(rate),
        heart_rate=bpm,
        drift=1.0,  # baseline wander
        motion_amplitude=0.2,  # motion artefact noise
        powerline_amplitude=0.0,  # 50 Hz aliases to DC at 50 Hz sampling
        random_state=seed,
    )
    return np.asarray(x, dtype=np.float64)


@NK_WARNINGS
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("bpm", [50, 60, 75, 90, 120, 150])
def test_neurokit_known_rates(bpm: int, seed: int) -> None:
    x = simulate(bpm, seed)
    est = heart_rate_from_ppg(x, 50.0)
    assert est is not None
    assert abs(est.bpm - bpm) <= 2.0, est
    assert est.beats >= bpm / 60 * 20 - 3
    assert 0.0 < est.quality <= 1.0
    # The same pulse as raw MAX30102 counts: large DC, inverted (more blood, less light).
    counts = 60_000.0 - 3_000.0 * x
    for polarity in ("auto", "peaks_down"):
        inv = heart_rate_from_ppg(counts, 50.0, polarity=polarity)
        assert inv is not None and abs(inv.bpm - bpm) <= 2.0, (polarity, inv)


@NK_WARNINGS
@pytest.mark.parametrize("rate", [25.0, 100.0])
def test_neurokit_other_kit_rates(rate: float) -> None:
    for bpm in (55, 80, 140):
        est = heart_rate_from_ppg(simulate(bpm, 7, rate=rate), rate)
        assert est is not None and abs(est.bpm - bpm) <= 2.0, (bpm, est)


def test_refuses_short_flat_or_broken_windows() -> None:
    x = simulate(75, 0)
    assert heart_rate_from_ppg(x[:150], 50.0) is None  # 3 s < 4 s
    assert heart_rate_from_ppg(np.full(1000, 512.0), 50.0) is None
    assert heart_rate_from_ppg(np.where(np.arange(1000) == 5, np.nan, x), 50.0) is None
    with pytest.raises(ValueError, match="rate_hz"):
        heart_rate_from_ppg(x, 6.0)


def test_noise_without_pulse_is_mostly_refused() -> None:
    """White, smoothed and random-walk noise: no pulse, so (almost) never an estimate."""
    rng = np.random.default_rng(11)
    found = []
    for _ in range(100):
        z = rng.standard_normal(1000)
        for sig in (z, z.cumsum(), np.convolve(z, np.ones(10) / 10, "same")):
            est = heart_rate_from_ppg(sig, 50.0)
            if est is not None:
                found.append(est)
    assert len(found) <= 0.1 * 300
    assert all(est.quality < 0.3 for est in found)


def test_sensor_off_for_most_of_the_window_gives_none() -> None:
    x = simulate(75, 0)
    x[:700] = 0.0  # finger off the sensor for 14 of 20 s
    assert heart_rate_from_ppg(x, 50.0) is None


def load(name: str) -> tuple[FloatArray, float]:
    path = str(HP_DATA / name)
    if name == "data.csv":
        return hp.get_data(path), 100.0  # HeartPy docs: data.csv is sampled at 100 Hz
    if name == "data2.csv":
        timer = hp.get_data(path, column_name="timer")
        return hp.get_data(path, column_name="hr"), float(hp.get_samplerate_mstimer(timer))
    stamps = hp.get_data(path, column_name="datetime")
    rate = hp.get_samplerate_datetime(stamps, timeformat="%Y-%m-%d %H:%M:%S.%f")
    return hp.get_data(path, column_name="hr"), float(rate)


CHUNK_SAMPLES = 10  # devices/agent AgentOptions.chunk_samples: what a kit sends per message
# data2.csv starts with the finger off the sensor (a flat line, then a drop-out to 0) for
# about 40 s; windows reaching into it are not expected to give a heart rate.
FINGER_ON_S = {"data.csv": 0.0, "data2.csv": 41.0, "data3.csv": 0.0}

# Exceptions. HeartPy is a reference, not ground truth: on 12 s windows of data2's and
# data3's noisy stretches it now and then counts dicrotic waves as beats or drops real
# ones (often saying so through ``removed_beats``, not always). When a third reference,
# NeuroKit2's ``ppg_findpeaks`` on the same window, agrees with us, HeartPy is outvoted.
# Measured (native / decimated): more than 5 % from HeartPy on 0 / 0 % of data.csv's
# windows, 1.9 / 5.5 % of data2's, 6.2 / 7.2 % of data3's; more than 5 % from both HeartPy
# and NeuroKit2 on at most 1.9 / 3.0 % (data2). The limits leave little room above that.
MAX_OFF_HEARTPY = 0.08  # share of emitted values more than 5 % from HeartPy
MAX_OFF_BOTH = 0.04  # share more than 5 % from HeartPy and from NeuroKit2
# Emitted on at least this share of the recomputations once the window is full and the
# finger on (measured 80 % on data3, whose noisy stretches are refused, 93-100 % otherwise).
MIN_EMITTED = 0.75


@dataclass
class Streamed:
    rate: float
    due: int  # recomputations once the 12 s window is full (and the finger on)
    rows: list[tuple[float, float, FloatArray]]  # (end s, hr_ppg, window values), from 4 s on


def stream_through_derived(x: FloatArray, rate: float, finger_on_s: float) -> Streamed:
    """Feed ``x`` to ``DerivedSignals`` as telemetry would; keep each hr_ppg with its window.

    HeartPy's recordings are not MAX30102 counts (a 10-bit ADC around 500): the raw-level
    finger-off checks are for MAX30102 kits, so they are off here (``UNSCALED``).
    """
    derived = DerivedSignals(ppg_sensor=UNSCALED)
    rows: list[tuple[float, float, FloatArray]] = []
    due, last = 0, -float("inf")
    for i in range(0, x.size, CHUNK_SAMPLES):
        chunk = x[i : i + CHUNK_SAMPLES]
        out = derived.add_chunk("ppg", T0 + i / rate, rate, chunk.tolist())
        newest = (i + chunk.size - 1) / rate
        if newest - last >= RECOMPUTE_EVERY_S:  # DerivedSignals' own schedule (live data)
            last = newest
            due += newest >= finger_on_s + PPG_WINDOW_S
        assert all(v.name in ("hr_ppg", "ppg_quality") for v in out)
        # A stale re-send (no rate for 5 s in a noisy stretch) is an old value, not a new one.
        for value in (v for v in out if v.name == "hr_ppg" and not v.stale):
            assert value.unit == "bpm" and value.quality is not None
            times, seg, seg_rate = derived.window_samples("ppg")
            assert seg_rate == rate and times[-1] == pytest.approx(value.ts)
            full = value.ts - T0 >= PPG_WINDOW_S
            assert not full or seg.size == pytest.approx(PPG_WINDOW_S * rate, abs=2)
            rows.append((value.ts - T0, value.value, seg))
    return Streamed(rate, due, rows)


def neurokit_bpm(seg: FloatArray, rate: float) -> float:
    """NeuroKit2's heart rate of one window (its cleaning and Elgendi peak detector)."""
    try:
        clean = nk.ppg_clean(seg, sampling_rate=round(rate))
        peaks = nk.ppg_findpeaks(clean, sampling_rate=round(rate))["PPG_Peaks"]
    except Exception:  # NeuroKit2 found no usable peaks
        return math.nan
    ibi = np.diff(np.asarray(peaks, dtype=np.float64)) / rate
    return 60.0 / float(ibi.mean()) if ibi.size else math.nan


def within(value: float, ref: float, rel: float = 0.05) -> bool:
    return math.isfinite(ref) and abs(value - ref) <= rel * ref


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize("decimate", [False, True], ids=["native", "decimated"])
@pytest.mark.parametrize("name", ["data.csv", "data2.csv", "data3.csv"])
def test_heartpy_recordings_through_derived_signals(name: str, decimate: bool) -> None:
    x, rate = load(name)
    x = np.asarray(x, dtype=np.float64)
    if decimate:
        x, rate = x[: x.size // 2 * 2].reshape(-1, 2).mean(axis=1), rate / 2
    run = stream_through_derived(x, rate, FINGER_ON_S[name])
    assert run.due > 0
    live = [r for r in run.rows if r[0] >= FINGER_ON_S[name] + PPG_WINDOW_S]
    assert len(live) >= MIN_EMITTED * run.due, (len(live), run.due)
    off_heartpy: list[tuple[float, float, float]] = []
    off_both: list[tuple[float, float, float, float]] = []
    for end_s, bpm, seg in run.rows:
        try:
            ref = float(hp.process(seg, rate)[1]["bpm"])
        except hp.exceptions.BadSignalWarning:
            ref = math.nan  # HeartPy found no heart rate where we gave one: an exception
        if within(bpm, ref):
            continue
        off_heartpy.append((end_s, bpm, ref))
        third = neurokit_bpm(seg, rate)
        if not within(bpm, third):
            off_both.append((end_s, bpm, ref, third))
    n = len(run.rows)
    assert len(off_heartpy) <= MAX_OFF_HEARTPY * n, (n, off_heartpy)
    assert len(off_both) <= MAX_OFF_BOTH * n, (n, off_both)
