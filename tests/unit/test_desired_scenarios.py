"""The desired state each shipped scenario pushes, as the kits read and apply it.

One vocabulary on both sides: what ``accessibility/scenarios/*.yaml`` publishes is parsed
by the kit agent's ``parse_desired`` with nothing unknown or refused, applied to the
simulated kits (the agent's ``--simulate`` kit and the demo's ``SimulatedKit``), and
reported back so that the twin's delta empties.
"""

from __future__ import annotations

import json
import time

import pytest

from accessibility.scenario import load_scenario
from devices.agent.actuators import DesiredApplier
from devices.agent.desired import applied_readings, parse_desired
from devices.agent.simulated import SimulatedVitals, simulated_kit
from devices.simulated_kit import apply_desired, desired_applier
from devices.simulation import SimulatedKit
from gateway.identifiers import KitRef
from gateway.telemetry import Telemetry, parse_telemetry
from twin_service.twins.twin import Twin

SCENARIOS = ("cpr", "news2-check", "vitals")
T0 = 1_764_060_000.0
KIT = KitRef("lab", "kit-1")


def payload(scenario_id: str, version: int = 1) -> bytes:
    desired = dict(load_scenario(scenario_id).desired)
    return json.dumps({"version": version, "desired": desired}).encode()


def telemetry(message: dict[str, object]) -> Telemetry:
    parsed = parse_telemetry(json.dumps(message).encode(), received_at=time.time())
    assert isinstance(parsed, Telemetry), parsed
    return parsed


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_the_kit_understands_every_key_a_shipped_scenario_pushes(scenario_id: str) -> None:
    plan = parse_desired(payload(scenario_id))
    assert plan.unknown == ()
    assert plan.errors == {}
    assert set(plan.values) == set(load_scenario(scenario_id).desired)


def test_the_vitals_scenario_makes_the_simulated_patient_deteriorate() -> None:
    plan = parse_desired(payload("vitals"))
    assert plan.values["patient"] == "deteriorating"
    sensors, actuators = simulated_kit("vitals", seed=3)
    applied = DesiredApplier(actuators).apply(plan)
    assert actuators.patient is not None and actuators.patient.scenario == "deteriorating"
    assert set(applied) == {"scenario", "patient"}
    vitals = next(s for s in sensors if isinstance(s, SimulatedVitals))
    before = {s.sensor: s.value for s in vitals.read(T0)}
    after = {s.sensor: s.value for s in vitals.read(T0 + 300.0)}  # the ramp takes ~5 min
    assert after["hr"] - before["hr"] > 25
    assert before["spo2"] - after["spo2"] > 4
    assert before["sbp"] - after["sbp"] > 15
    # ... and a stable patient (the same words, the other way) stays put.
    DesiredApplier(actuators).apply(
        parse_desired(b'{"version": 2, "desired": {"patient": "stable"}}')
    )
    assert actuators.patient.scenario == "stable"


def test_a_bad_patient_course_is_refused_and_named() -> None:
    plan = parse_desired(b'{"version": 1, "desired": {"patient": "dead"}}')
    assert plan.values == {} and "patient" in plan.errors


@pytest.mark.parametrize("scenario_id", SCENARIOS)
def test_what_the_kit_reports_back_empties_the_twin_delta(scenario_id: str) -> None:
    twin = Twin(KIT)
    twin.set_desired(dict(load_scenario(scenario_id).desired), T0)
    assert twin.delta() == dict(load_scenario(scenario_id).desired)
    plan = parse_desired(payload(scenario_id, twin.desired_version))
    _, actuators = simulated_kit("mixed", seed=1)
    readings = applied_readings(plan.version, DesiredApplier(actuators).apply(plan))
    twin.apply_telemetry(telemetry({"ts": T0 + 1, "seq": 1, "readings": readings}), T0 + 1)
    assert twin.delta() == {}
    # A new desired version is not reached by what was reported for the old one.
    twin.set_desired(dict(load_scenario(scenario_id).desired), T0 + 2)
    assert set(twin.delta()) == {"scenario"} | ({"patient"} if scenario_id != "cpr" else set())


def test_an_unknown_or_refused_name_stays_in_the_delta() -> None:
    twin = Twin(KIT)
    twin.set_desired({"scenario": "vitals", "patient": "dead", "colour": "red"}, T0)
    plan = parse_desired(
        json.dumps({"version": twin.desired_version, "desired": twin.desired}).encode()
    )
    readings = applied_readings(
        plan.version, DesiredApplier(simulated_kit("vitals")[1]).apply(plan)
    )
    twin.apply_telemetry(telemetry({"ts": T0 + 1, "seq": 1, "readings": readings}), T0 + 1)
    assert twin.delta() == {"patient": "dead", "colour": "red"}


def vitals_at(kit: SimulatedKit, ts: float) -> dict[str, float]:
    readings = [m["readings"] for m in kit.messages_until(ts) if "readings" in m]
    assert readings
    return dict(readings[-1])


def test_a_demo_kit_applies_the_vitals_scenario_and_reports_it() -> None:
    kit = SimulatedKit("vitals", seed=5, start_ts=T0)
    applier = desired_applier(kit)
    first = vitals_at(kit, T0 + 1.0)
    report = apply_desired(applier, kit, payload("vitals", version=4), T0 + 1.0)
    assert report is not None
    assert report["readings"] == {"desired_version": 4, "scenario": 4, "patient": 4}
    assert report["seq"] == kit.seq  # in the kit's own seq order
    assert kit.scenario == "deteriorating"
    later = vitals_at(kit, T0 + 320.0)
    assert later["hr"] - first["hr"] > 25 and first["spo2"] - later["spo2"] > 4
    # The report is valid telemetry that empties the twin's delta.
    twin = Twin(KIT)
    for _ in range(4):
        twin.set_desired(dict(load_scenario("vitals").desired), T0)
    twin.apply_telemetry(telemetry(report), T0 + 1)
    assert twin.delta() == {}


def test_a_demo_cpr_kit_applies_the_cpr_scenario_and_ignores_garbage() -> None:
    kit = SimulatedKit("cpr", seed=5, start_ts=T0)
    applier = desired_applier(kit)
    report = apply_desired(applier, kit, payload("cpr", version=2), T0)
    assert report is not None
    assert report["readings"] == {"desired_version": 2, "scenario": 2, "metronome_bpm": 110}
    report = apply_desired(applier, kit, b'{"version": 3, "desired": {"cpr_depth_mm": 40}}', T0 + 1)
    assert report is not None and kit.cpr is not None and kit.cpr.depth_mm == 40.0
    assert apply_desired(applier, kit, b"not json", T0 + 2) is None
