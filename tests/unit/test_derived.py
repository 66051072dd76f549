from __future__ import annotations

from accessibility.derived import DerivedSignals
from devices.simulation import CprLearner

RATE = 50.0
CHUNK = 10  # 0.2 s


def feed(
    engine: DerivedSignals, learner: CprLearner, seconds: float, t0: float, clock: float | None
) -> list[str]:
    names: list[str] = []
    for i in range(int(seconds * RATE / CHUNK)):
        ts = t0 + i * CHUNK / RATE
        samples = learner.chunk(ts, CHUNK, RATE).tolist()
        names += [v.name for v in engine.add_chunk("depth_mm", ts, RATE, samples, clock)]
    return names


def test_live_data_is_recomputed_every_half_second_of_device_time() -> None:
    engine = DerivedSignals()
    names = feed(engine, CprLearner(seed=1, drift=False), 20, 1_000.0, clock=None)
    assert 30 <= names.count("cpr_rate") <= 40


def test_a_replayed_backlog_is_recomputed_by_the_clock_not_per_chunk() -> None:
    engine = DerivedSignals()
    learner = CprLearner(seed=1, drift=False)
    # 60 s of old data arriving within one instant of the service's clock: computed once
    # (on the first chunk), not 120 times.
    assert feed(engine, learner, 60, 1_000.0, clock=5_000.0).count("cpr_rate") == 0
    # Half a second later by the clock, the next chunk brings the values up to date.
    later = engine.add_chunk(
        "depth_mm", 1_060.0, RATE, learner.chunk(1_060.0, CHUNK, RATE).tolist(), 5_000.6
    )
    assert "cpr_rate" in {v.name for v in later}


def test_values_match_the_learner_and_unknown_sensors_are_ignored() -> None:
    engine = DerivedSignals()
    learner = CprLearner(seed=2, rate_per_min=104, depth_mm=52, drift=False)
    feed(engine, learner, 15, 0.0, clock=None)
    ts = 15.0
    values = engine.add_chunk("depth_mm", ts, RATE, learner.chunk(ts, 30, RATE).tolist())
    values += engine.add_chunk(
        "depth_mm", ts + 0.6, RATE, learner.chunk(ts + 0.6, 30, RATE).tolist()
    )
    by_name = {v.name: v.value for v in values}
    assert abs(by_name["cpr_rate"] - 104) <= 3
    assert abs(by_name["cpr_depth_mm"] - 52) <= 3
    assert engine.add_chunk("force_n", 0.0, RATE, [1.0, 2.0]) == []


def test_a_kit_sending_ppg_and_depth_together_never_pays_for_both_in_one_update() -> None:
    from devices.simulation.ppg import PpgSynth

    engine = DerivedSignals()
    learner = CprLearner(seed=2, drift=False)
    ppg = PpgSynth(seed=2, rate_hz=RATE)
    both = ppg_updates = cpr_updates = 0
    for i in range(int(30 * RATE / CHUNK)):
        ts = 1_000.0 + i * CHUNK / RATE
        got = {
            v.name for v in engine.add_chunk("ppg", ts, RATE, ppg.chunk(ts, CHUNK, 72.0).tolist())
        }
        got |= {
            v.name
            for v in engine.add_chunk("depth_mm", ts, RATE, learner.chunk(ts, CHUNK, RATE).tolist())
        }
        has_hr, has_cpr = "hr_ppg" in got, bool(got & {"cpr_rate", "cpr_depth_mm", "cpr_ccf"})
        both += has_hr and has_cpr
        ppg_updates += has_hr
        cpr_updates += has_cpr
    assert both == 0
    # Each signal is still recomputed about every 0.6 s (every third 0.2 s chunk).
    assert 40 <= ppg_updates <= 52 and 40 <= cpr_updates <= 52
