"""The kit simulators: determinism, continuity, ground truth, contract shape."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from devices.simulation import CprLearner, PpgSynth, SimulatedKit, SwitchUser, VitalsModel

FloatArray = npt.NDArray[np.float64]
RATE = 50.0
START = 1_764_060_000.0


def chunked(gen: Any, seconds: float, chunk_s: float = 0.2, *args: float) -> FloatArray:
    n = round(chunk_s * RATE)
    parts = [gen.chunk(i * chunk_s, n, *args) for i in range(round(seconds / chunk_s))]
    return np.concatenate(parts)


def rising_edges(x: FloatArray, up: float, down: float) -> list[int]:
    """Indices where ``x`` rises above ``up`` after having been below ``down``."""
    edges, high = [], False
    for i, v in enumerate(x.tolist()):
        if not high and v > up:
            high = True
            edges.append(i)
        elif high and v < down:
            high = False
    return edges


def cpr_cycles(x: FloatArray) -> tuple[list[float], list[float]]:
    """Peak depth of each compression (> 10 mm) and the trough after it."""
    edges = rising_edges(x, 20.0, 12.0)
    peaks = [float(x[a:b].max()) for a, b in itertools.pairwise(edges)]
    troughs = [float(x[a + int(np.argmax(x[a:b])) : b].min()) for a, b in itertools.pairwise(edges)]
    return peaks, troughs


def ppg_beat_times(x: FloatArray) -> FloatArray:
    """Beat times from a band-passed PPG (1 s moving-average high-pass, 3-point smoothing)."""
    w = int(RATE)
    hp = x - np.convolve(x, np.ones(w) / w, mode="same")
    sm = np.convolve(hp, np.ones(3) / 3, mode="same")[w:-w]
    thr = 0.25 * float(np.std(sm))
    return np.array(rising_edges(sm, thr, -thr)) / RATE


# --- determinism and continuity ---------------------------------------------------------


def test_kit_is_deterministic_for_a_seed() -> None:
    def run(seed: int) -> list[dict[str, Any]]:
        kit = SimulatedKit("mixed", seed, START)
        return [kit.next_message() for _ in range(60)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_components_are_deterministic() -> None:
    assert np.array_equal(chunked(PpgSynth(3), 10, 0.2, 70), chunked(PpgSynth(3), 10, 0.2, 70))
    assert np.array_equal(chunked(CprLearner(3), 10), chunked(CprLearner(3), 10))
    assert not np.array_equal(chunked(CprLearner(3), 10), chunked(CprLearner(4), 10))
    a, b = SwitchUser(5), SwitchUser(5)
    assert [a.reaction_time_s() for _ in range(50)] == [b.reaction_time_s() for _ in range(50)]
    assert VitalsModel(2, "deteriorating").sample(123.4) == VitalsModel(2, "deteriorating").sample(
        123.4
    )


def test_vitals_are_a_pure_function_of_time() -> None:
    forward, backward = VitalsModel(9, "deteriorating"), VitalsModel(9, "deteriorating")
    times = [0.0, 1.5, 30.0, 299.0, 1000.0]
    ahead = [forward.sample(t) for t in times]
    assert [backward.sample(t) for t in reversed(times)][::-1] == ahead


@pytest.mark.parametrize("kind", ["ppg", "cpr"])
def test_chunking_does_not_change_the_signal(kind: str) -> None:
    def make() -> Any:
        return PpgSynth(11) if kind == "ppg" else CprLearner(11, recoil_residual_mm=8)

    args = (72.0,) if kind == "ppg" else ()
    whole = make().chunk(0.0, 1000, *args)
    small = chunked(make(), 20.0, 0.2, *args)
    gen = make()
    odd = np.concatenate([gen.chunk(0.0, 333, *args), gen.chunk(333 / RATE, 667, *args)])
    assert np.allclose(whole, small)
    assert np.allclose(whole, odd)


@pytest.mark.parametrize("kind", ["ppg", "cpr"])
def test_no_jump_at_chunk_borders(kind: str) -> None:
    gen: Any = PpgSynth(12, inverted=True) if kind == "ppg" else CprLearner(12)
    args = (80.0,) if kind == "ppg" else ()
    x = chunked(gen, 30.0, 0.2, *args)
    steps = np.abs(np.diff(x))
    borders = steps[9::10]  # from the last sample of a chunk to the first of the next
    inside = np.delete(steps, np.s_[9::10])
    assert borders.max() <= inside.max()
    assert borders.mean() < 1.5 * inside.mean()


# --- CPR ground truth ---------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "depth"), [(110.0, 55.0), (90.0, 40.0), (125.0, 62.0)])
def test_cpr_rate_and_depth_match_configuration(rate: float, depth: float) -> None:
    x = chunked(CprLearner(21, rate, depth, drift=False), 60.0)
    edges = rising_edges(x, 10.0, 5.0)
    assert abs(len(edges) - rate) <= 5
    peaks, _ = cpr_cycles(x)
    assert abs(float(np.mean(peaks)) - depth) <= 3.0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cpr_drift_stays_near_learner_and_matches_ground_truth(seed: int) -> None:
    learner = CprLearner(seed, 110.0, 55.0)
    x = chunked(learner, 60.0)
    truth = learner.compressions(0.0, 60.0)
    assert abs(len(rising_edges(x, 10.0, 5.0)) - len(truth)) <= 2
    assert abs(len(truth) - 110) <= 15
    peaks, _ = cpr_cycles(x)
    assert abs(float(np.mean(peaks)) - float(np.mean([c.depth_mm for c in truth]))) <= 3.0
    assert 100.0 <= learner.true_rate_per_min <= 120.0


def test_cpr_fatigue_reduces_depth_over_minutes() -> None:
    learner = CprLearner(5, 110.0, 55.0)
    x = chunked(learner, 600.0)
    first, _ = cpr_cycles(x[: int(60 * RATE)])
    last, _ = cpr_cycles(x[-int(60 * RATE) :])
    assert np.mean(first) - np.mean(last) >= 5.0
    assert learner.true_depth_mm < 50.0


def test_cpr_recoil_residual_is_visible() -> None:
    _, full = cpr_cycles(chunked(CprLearner(4, drift=False), 60.0))
    _, leaning = cpr_cycles(chunked(CprLearner(4, recoil_residual_mm=10.0, drift=False), 60.0))
    assert np.mean(np.array(full) > 5.0) < 0.02
    share = float(np.mean(np.array(leaning) > 5.0))
    assert 0.3 <= share <= 0.7  # default lean_prob 0.5
    assert max(leaning) == pytest.approx(10.0, abs=4.0)


def test_cpr_pauses_for_rescue_breaths() -> None:
    x = chunked(CprLearner(6, pause_every_s=16.0, pause_len_s=5.0, drift=False), 84.0)
    compressing = x > 10.0
    quiet = np.convolve(~compressing, np.ones(int(4 * RATE)), mode="valid") == int(4 * RATE)
    assert rising_edges(quiet.astype(float), 0.5, 0.5).__len__() >= 3
    edges = rising_edges(x, 10.0, 5.0)
    assert abs(len(edges) - 110 * 84 * 16 / 21 / 60) <= 8


# --- PPG ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hr", [45.0, 72.0, 120.0, 160.0])
def test_ppg_heart_rate_and_levels(hr: float) -> None:
    synth = PpgSynth(31)
    x = chunked(synth, 60.0, 0.2, hr)
    assert x.min() >= 50_000
    assert x.max() <= 120_000
    ibi = np.diff(ppg_beat_times(x))
    ibi = ibi[(ibi > 0.3) & (ibi < 2.0)]
    assert 60.0 / float(ibi.mean()) == pytest.approx(hr, abs=2.0)
    pulsatile = float(np.ptp(x[: int(10 * RATE)])) / synth.dc
    assert 0.005 <= pulsatile <= 0.04


def test_ppg_has_beat_to_beat_variability() -> None:
    synth = PpgSynth(32)
    chunked(synth, 30.0, 0.2, 70.0)
    rr = np.diff(synth.beat_onsets)
    assert 0.005 < float(np.std(rr) / np.mean(rr)) < 0.1


# --- vitals -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_stable_vitals_in_physiologic_ranges(seed: int) -> None:
    model = VitalsModel(seed, "stable")
    for t in np.arange(0.0, 1800.0, 7.0).tolist():
        v = model.sample(t)
        assert 50 <= v["hr"] <= 110
        assert 93.0 <= v["spo2"] <= 100.0
        assert 36.0 <= v["temp_c"] <= 37.6
        assert 8 <= v["resp_rate"] <= 22
        assert 95 <= v["sbp"] <= 150
        assert 50 <= v["dbp"] <= v["sbp"] - 15
        assert isinstance(v["hr"], int)
        assert (v["spo2"] * 2).is_integer()
        assert round(v["temp_c"], 1) == v["temp_c"]


@pytest.mark.parametrize("seed", range(5))
def test_deteriorating_vitals_trend_towards_sepsis(seed: int) -> None:
    model = VitalsModel(seed, "deteriorating")

    def mean(name: str, start: float) -> float:
        return float(np.mean([model.sample(start + i)[name] for i in range(20)]))

    for name, sign in [("hr", 1), ("spo2", -1), ("temp_c", 1), ("resp_rate", 1), ("sbp", -1)]:
        early, mid, late = mean(name, 0.0), mean(name, 140.0), mean(name, 320.0)
        assert sign * (mid - early) > 0, name
        assert sign * (late - mid) > 0, name
    assert mean("hr", 320.0) >= 112
    assert mean("spo2", 320.0) <= 91.5
    assert mean("temp_c", 320.0) >= 38.4
    assert mean("sbp", 320.0) <= 100
    assert mean("resp_rate", 320.0) >= 24


# --- kit messages against the contract -----------------------------------------------------


def assert_numbers(values: list[Any]) -> None:
    for v in values:
        assert isinstance(v, int | float)
        assert not isinstance(v, bool)
        assert math.isfinite(v)


@pytest.mark.parametrize("profile", ["vitals", "cpr", "mixed"])
def test_kit_messages_satisfy_contract(profile: Any) -> None:
    kit = SimulatedKit(profile, 3, START)
    messages = [kit.next_message() for _ in range(300)]
    for i, msg in enumerate(messages):
        assert msg["seq"] == i + 1
        assert msg["ts"] == pytest.approx(START + 0.2 * i, abs=1e-6)
        assert set(msg) <= {"ts", "seq", "readings", "waveforms"}
        assert "readings" in msg or "waveforms" in msg
        assert_numbers(list(msg.get("readings", {}).values()))
        for name, wave in msg.get("waveforms", {}).items():
            assert wave["rate_hz"] == 50
            assert len(wave["samples"]) == 10
            assert_numbers(wave["samples"])
            low, high = (0.0, 262_143.0) if name == "ppg" else (-30.0, 200.0)
            assert all(low <= s <= high and round(s, 1) == s for s in wave["samples"])
        assert len(json.dumps(msg, allow_nan=False).encode()) < 65_536
    with_readings = sum("readings" in m for m in messages)
    assert with_readings == (60 if profile != "cpr" else 0)
    sensors = {n for m in messages for n in m.get("waveforms", {})}
    assert (
        sensors == {"vitals": {"ppg"}, "cpr": {"depth_mm"}, "mixed": {"ppg", "depth_mm"}}[profile]
    )


def test_big_chunks_stay_under_64_kib() -> None:
    kit = SimulatedKit("mixed", 1, START, rate_hz=100.0, chunk_s=20.0)
    msg = kit.next_message()
    assert len(msg["waveforms"]["ppg"]["samples"]) == 2000
    assert len(json.dumps(msg).encode()) < 65_536
    with pytest.raises(ValueError, match="whole number"):
        SimulatedKit("mixed", 1, START, rate_hz=50.0, chunk_s=0.01)


def test_messages_until_catches_up_without_gaps() -> None:
    kit = SimulatedKit("cpr", 2, START)
    first = kit.messages_until(START + 1.0)
    assert [m["seq"] for m in first] == [1, 2, 3, 4, 5]
    assert kit.messages_until(START + 1.1) == []
    assert kit.next_ts == pytest.approx(START + 1.0)
    more = kit.messages_until(START + 3.0)
    assert [m["seq"] for m in more] == list(range(6, 16))
    assert more[0]["ts"] == pytest.approx(START + 1.0)


def test_kit_readings_follow_the_deteriorating_scenario() -> None:
    kit = SimulatedKit("vitals", 4, START, scenario="deteriorating")
    msgs = kit.messages_until(START + 400.0)
    hr = [m["readings"]["hr"] for m in msgs if "readings" in m]
    assert len(hr) == 400
    assert np.mean(hr[:20]) < 90 < 110 < np.mean(hr[-20:])


# --- switch user --------------------------------------------------------------------------


@pytest.mark.parametrize(("mean_ms", "sd_ms"), [(900.0, 250.0), (1500.0, 500.0), (600.0, 100.0)])
def test_switch_reaction_times_have_configured_mean(mean_ms: float, sd_ms: float) -> None:
    user = SwitchUser(8, mean_ms, sd_ms)
    draws = np.array([user.reaction_time_s() for _ in range(2000)])
    assert float(draws.mean()) * 1000 == pytest.approx(mean_ms, rel=0.1)
    assert draws.min() >= 0.15
    vector = SwitchUser(8, mean_ms, sd_ms).reaction_times_s(2000)
    assert float(vector.mean()) * 1000 == pytest.approx(mean_ms, rel=0.1)


def test_switch_user_is_sometimes_late() -> None:
    user = SwitchUser(9, miss_prob=0.1)
    late = 0
    for _ in range(2000):
        user.reaction_time_s()
        late += user.last_was_late
    assert 120 <= late <= 280


def test_press_events_are_contract_input_payloads() -> None:
    user = SwitchUser(10)
    events = user.press_events(100.0, "next")
    assert [e["state"] for e in events] == ["down", "up"]
    assert all(set(e) == {"ts", "switch", "state"} and e["switch"] == "next" for e in events)
    down, up = (float(e["ts"]) for e in events)  # type: ignore[arg-type]
    assert 100.15 <= down < up < down + 3.0
    assert user.press_events(5.0, "select", react=False)[0]["ts"] == 5.0
    bouncy = SwitchUser(10, bounce_prob=1.0).press_events(0.0)
    assert [e["state"] for e in bouncy] == ["down", "up", "down", "up"]
    times = [float(e["ts"]) for e in bouncy]  # type: ignore[arg-type]
    assert times == sorted(times)
    with pytest.raises(ValueError, match="unknown switch"):
        user.press_events(0.0, "enter")  # type: ignore[arg-type]


# --- PPG against the reference tools (docs/domain.md: HeartPy and NeuroKit2) ------------------
# HeartPy's own advice for raw sensor data is to band-pass it first (``filter_signal``);
# unfiltered, its peak fitter gives up on the simulator's baseline wander at every rate.
# NeuroKit2's default cleaning (a 0.5-8 Hz Butterworth) needs more than 25 Hz sampling.


def synth_ppg(synth: PpgSynth, seconds: float, hr: float) -> FloatArray:
    n = round(0.2 * synth.rate_hz)  # 0.2 s chunks, as the simulated sensor is polled
    return np.concatenate([synth.chunk(i * 0.2, n, hr) for i in range(round(seconds / 0.2))])


def heartpy_bpm(x: FloatArray, rate: float) -> float:
    import heartpy as hp

    filtered = hp.filter_signal(x, [0.5, 4.0], rate, filtertype="bandpass")
    return float(hp.process(filtered, rate)[1]["bpm"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize("rate", [25.0, 50.0, 100.0])
@pytest.mark.parametrize("hr", [45.0, 60.0, 90.0, 130.0, 170.0])
def test_heartpy_finds_the_simulated_heart_rate(hr: float, rate: float) -> None:
    for seed, inverted in ((41, False), (42, True)):
        synth = PpgSynth(seed, rate, inverted=inverted)
        x = synth_ppg(synth, 60.0, hr)
        if inverted:  # raw MAX30102 orientation: upright it as a kit's display would
            x = -x
        assert heartpy_bpm(x, rate) == pytest.approx(hr, abs=3.0), (seed, inverted)


@pytest.mark.parametrize("rate", [50.0, 100.0])
@pytest.mark.parametrize("hr", [45.0, 75.0, 120.0, 170.0])
def test_neurokit_finds_the_simulated_heart_rate(hr: float, rate: float) -> None:
    import neurokit2 as nk

    x = synth_ppg(PpgSynth(43, rate), 60.0, hr)
    clean = nk.ppg_clean(x, sampling_rate=round(rate))
    peaks = np.asarray(nk.ppg_findpeaks(clean, sampling_rate=round(rate))["PPG_Peaks"])
    assert 60.0 / float(np.mean(np.diff(peaks) / rate)) == pytest.approx(hr, abs=3.0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
def test_simulated_kit_ppg_carries_the_heart_rate_it_reports() -> None:
    """``--simulate vitals``: HeartPy on the kit's PPG matches the kit's own ``hr`` readings."""
    from devices.agent.simulated import simulated_kit

    sensors, _ = simulated_kit("vitals", seed=5)
    ppg, vitals = sensors
    samples, readings = [], []
    for k in range(1, 301):  # 30 s, polled every 0.1 s like the agent's runner
        now = START + k * 0.1
        samples += ppg.read(now)
        readings += [s.value for s in vitals.read(now) if s.sensor == "hr"]
    x = np.array([s.value for s in samples])
    assert len(readings) >= 25
    assert heartpy_bpm(x, ppg.rate_hz) == pytest.approx(float(np.mean(readings)), abs=3.0)
