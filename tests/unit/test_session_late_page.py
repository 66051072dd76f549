"""A learner page that connects after the first alerts still gets each of them."""

from __future__ import annotations

from gateway.identifiers import KitRef
from tests.support.sessions import Clock, manager_on
from twin_service.sessions.manager import ALERT_REPLAY_S
from twin_service.twins.twin import Twin, ValueEntry

KIT = KitRef("lab", "late-page")
T0 = 1_764_060_000.0
UNITS = {"spo2": "%", "hr": "/min", "sbp": "mmHg", "resp_rate": "/min", "temp_c": "C"}
NORMAL = {"spo2": 98.0, "hr": 75.0, "sbp": 120.0, "resp_rate": 16.0, "temp_c": 37.0}


def test_a_late_page_gets_the_newest_standing_alert_of_every_topic() -> None:
    clock = Clock(T0)
    manager = manager_on(clock, "vitals")
    session, _ = manager.create("learner-1", KIT, "vitals")
    twin = Twin(KIT, online=True)

    def report(values: dict[str, float], seconds: float = 0.5) -> None:
        """The kit's readings every 0.5 s for ``seconds`` (the policy spaces alerts 3 s)."""
        for _ in range(round(seconds / 0.5)):
            clock.now += 0.5
            for name, value in {**NORMAL, **values}.items():
                twin.reported[name] = ValueEntry(value, UNITS[name], clock.now, clock.now)
            manager.on_twin_change(twin)

    report({})
    report({"spo2": 94.0}, 3.5)  # "Oxygen saturation is low", the first warning
    report({"spo2": 94.0, "hr": 100.0}, 3.5)  # then "Heart rate is high"
    report({"spo2": 94.0, "hr": 100.0, "temp_c": 38.5}, 3.5)  # then "Temperature is raised"
    assert [e["text"] for e in session.log if e["severity"] == "warning"] == [
        "Oxygen saturation is low",
        "Heart rate is high",
        "Temperature is raised",
    ]
    frames = manager.frames_for_new_page(session, clock.now + 3.0)
    alerts = [f["text"] for f in frames if f.get("severity") == "warning"]
    assert alerts == [
        "Oxygen saturation is low",
        "Heart rate is high",
        "Temperature is raised",
    ]
    assert frames[0] is session.prompt_frame  # the open question comes first
    # Once the heart rate settles its warning resolves: a page joining then does not hear it.
    report({"spo2": 94.0, "hr": 80.0, "temp_c": 38.5}, 3.5)
    alerts = [
        f["text"]
        for f in manager.frames_for_new_page(session, clock.now + 1.0)
        if f.get("severity") == "warning"
    ]
    assert "Heart rate is high" not in alerts and "Oxygen saturation is low" in alerts
    # Past the replay window nothing is replayed.
    late = manager.frames_for_new_page(session, clock.now + ALERT_REPLAY_S + 1.0)
    assert [f for f in late if f.get("severity") == "warning"] == []
