"""Heart rate from PPG against the field's reference tools (DOMAIN.md).

(a) NeuroKit2 ``ppg_simulate`` at known rates: within 2 bpm.
(b) HeartPy's bundled recordings, streamed through ``WaveformWindow`` in 0.2 s
    chunks as a kit sends them; every 10 s the window's last 20 s go both to
    ``heartpy.process`` and to ``heart_rate_from_ppg``: within 5 %. Each
    recording is tested at its own rate (100 Hz, ~117 Hz from data2's ms timer,
    ~100.4 Hz from data3's datetime column, as HeartPy's docs compute them) and
    decimated 2:1 (pairwise mean, a crude anti-alias low-pass) as a ~50 Hz kit
    would send it.

HeartPy is a reference, not ground truth: on a few data3 segments with sensor
drop-outs it counts dicrotic waves as beats and says so itself by rejecting
beats (``removed_beats``). So: where HeartPy rejected no beat we must give an
estimate and agree within 5 % every time; over all segments where both give
one, at least 90 % must agree.
"""

from __future__ import annotations

from pathlib import Path

import heartpy as hp
import neurokit2 as nk
import numpy as np
import numpy.typing as npt
import pytest

from accessibility.signals import PpgEstimate, WaveformWindow, heart_rate_from_ppg

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


def stream_segments(
    x: FloatArray, rate: float, window_s: float = 20.0, hop_s: float = 10.0
) -> list[tuple[float, FloatArray]]:
    """Feed ``x`` through a WaveformWindow in 0.2 s chunks; snapshot every ``hop_s``."""
    window = WaveformWindow(max_seconds=window_s)
    chunk = max(1, int(0.2 * rate))
    due = min(window_s, x.size / rate - 0.5)
    out: list[tuple[float, FloatArray]] = []
    for i in range(0, x.size, chunk):
        window.extend(T0 + i / rate, rate, x[i : i + chunk])
        newest = window.newest_ts
        if newest is not None and newest - T0 >= due:
            due += hop_s
            out.append((newest - T0, window.values()))
    return out


def compare(name: str, decimate: bool) -> list[tuple[float, float, PpgEstimate | None, bool]]:
    x, rate = load(name)
    if decimate:
        x, rate = x[: x.size // 2 * 2].reshape(-1, 2).mean(axis=1), rate / 2
    rows = []
    for end_s, seg in stream_segments(np.asarray(x, dtype=np.float64), rate):
        try:
            wd, m = hp.process(seg, rate)
        except hp.exceptions.BadSignalWarning:
            continue  # HeartPy itself found no usable signal
        flagged = len(wd["removed_beats"]) > 0
        rows.append((end_s, float(m["bpm"]), heart_rate_from_ppg(seg, rate), flagged))
    return rows


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize("decimate", [False, True], ids=["native", "decimated"])
@pytest.mark.parametrize("name", ["data.csv", "data2.csv", "data3.csv"])
def test_heartpy_recordings_streamed(name: str, decimate: bool) -> None:
    rows = compare(name, decimate)
    assert rows
    agree = 0
    for end_s, ref, est, flagged in rows:
        if est is None:
            # data2's first 40 s: finger off (flat line, then a drop-out to 0), where
            # HeartPy reports nonsense; otherwise only segments HeartPy flags itself.
            assert flagged or (name == "data2.csv" and end_s <= 41), (end_s, ref)
            continue
        ok = abs(est.bpm - ref) <= 0.05 * ref
        agree += ok
        assert ok or flagged, (end_s, ref, est)
    scored = sum(est is not None for _e, _r, est, _f in rows)
    assert agree >= 0.9 * scored, (agree, scored)
