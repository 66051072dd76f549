"""A session judges freshness on one clock, whatever the kit's clock says.

The service clock drives the policy; a kit's device ``ts`` is mapped onto it with the kit's
offset learnt from its messages (``KitClock``). A kit whose clock runs seconds behind or
ahead and does good CPR gets no "resume" or stale alarms; a kit that really stops does,
and compressions replayed from its spool do not count as compressing now.
"""

from __future__ import annotations

import pytest

from accessibility.signals import Compression
from gateway.identifiers import KitRef
from tests.support.sessions import Clock, manager_on
from twin_service.sessions.kit_clock import KitClock, twin_view
from twin_service.sessions.manager import Session, SessionManager
from twin_service.twins.twin import Twin, ValueEntry

KIT = KitRef("lab", "kit-clock")
T0 = 1_764_060_000.0
GOOD = {"cpr_rate": 110.0, "cpr_depth_mm": 55.0, "cpr_recoil_pct": 95.0}
UNITS = {"cpr_rate": "/min", "cpr_depth_mm": "mm", "cpr_recoil_pct": "%"}


def start(clock: Clock) -> tuple[SessionManager, Session, Twin]:
    manager = manager_on(clock, "cpr")
    session, _ = manager.create("learner-1", KIT, "cpr")
    manager.choose(session, "ready", clock())
    assert session.policy.step_id == "compressions"
    return manager, session, Twin(KIT, online=True)


def run(
    manager: SessionManager,
    twin: Twin,
    clock: Clock,
    skew: float,
    seconds: float,
    *,
    compressing: bool = True,
    replayed_s: float | None = None,
) -> None:
    """``seconds`` of messages every 0.2 s, device time ``skew`` s off the service clock.

    The kit measures depth all the time; while compressing its derived CPR values are new
    and a 55 mm compression at 110/min completes every 0.6 s (its 0.6 s interval holds the
    chest all the time). With ``replayed_s``, those
    compressions are ``replayed_s`` old (a spool arriving after an outage).
    """
    for i in range(round(seconds / 0.2)):
        clock.now += 0.2
        ts, rx = clock.now + skew - 0.01, clock.now  # 10 ms on the way
        twin.reported["depth_mm"] = ValueEntry(0.0, "mm", ts, rx)
        if compressing and replayed_s is None:
            entries = {n: ValueEntry(v, UNITS[n], ts, rx) for n, v in GOOD.items()}
            twin.apply_derived(entries, rx)
        manager.on_twin_change(twin)
        if (compressing or replayed_s is not None) and i % 3 == 2:
            old = ts - (replayed_s or 0.0) - 0.3  # its deepest point, 0.3 s before
            manager.on_compressions(KIT, [Compression(old, 55.0, 0.0, 0.6, 110.0)])


def said(session: Session, words: str) -> list[tuple[float, str]]:
    return [
        (e["delivered_at"] - T0, e["severity"])
        for e in session.log
        if e["topic"] != "prompt" and words in str(e["text"]).lower()
    ]


@pytest.mark.parametrize("skew", [-8.0, 8.0, -120.0, 0.0])
def test_good_cpr_from_a_kit_with_a_wrong_clock_gets_no_alarm(skew: float) -> None:
    clock = Clock(T0)
    manager, session, twin = start(clock)
    run(manager, twin, clock, skew, 40.0)
    assert said(session, "resume") == [] and said(session, "start compressions") == []
    assert [e["text"] for e in session.log if e["severity"] != "info"] == []
    assert said(session, "good compressions")
    # The score sees compressions all along.
    assert session.policy.score().metrics["ccf_pct"] == pytest.approx(100.0, abs=1.0)
    assert session.policy.score().metrics["compressions"] == 66


@pytest.mark.parametrize("skew", [-8.0, 8.0])
def test_a_kit_with_a_wrong_clock_that_stops_gets_the_resume_correction(skew: float) -> None:
    clock = Clock(T0)
    manager, session, twin = start(clock)
    run(manager, twin, clock, skew, 12.0)
    run(manager, twin, clock, skew, 6.0, compressing=False)  # no new compressions
    ((t, severity),) = said(session, "resume")
    assert severity == "critical" and 15.8 <= t <= 16.4  # 4 s after the last one at 12 s


@pytest.mark.parametrize("skew", [-8.0, 8.0])
def test_replayed_compressions_are_not_compressing_now(skew: float) -> None:
    clock = Clock(T0)
    manager, session, twin = start(clock)
    run(manager, twin, clock, skew, 12.0)
    run(manager, twin, clock, skew, 6.0, compressing=False, replayed_s=60.0)
    ((t, severity),) = said(session, "resume")
    assert severity == "critical" and 15.8 <= t <= 16.4
    assert session.policy.score().metrics["compressions"] == 20  # the live ones only


def entry(ts: float, rx: float) -> ValueEntry:
    return ValueEntry(1.0, "mm", ts, rx)


def test_kit_clock_maps_device_time_onto_the_service_clock() -> None:
    clock = KitClock()
    assert clock.offset is None
    assert clock.service_time(entry(100.0, T0)) == T0  # nothing learnt: when it arrived
    for i in range(50):
        rx = T0 + i * 0.2
        clock.observe([entry(rx - 8.0 - 0.05 - (i % 3) * 0.01, rx)])  # 8 s behind, 50-70 ms
    assert clock.offset == pytest.approx(8.05)
    assert clock.service_time(entry(T0 + 2.0 - 8.05, T0 + 2.2)) == pytest.approx(T0 + 2.0)
    # Never later than it arrived.
    assert clock.service_time(entry(T0 + 50.0, T0 + 3.0)) == T0 + 3.0


def test_a_spool_replayed_after_an_outage_is_as_old_as_it_is() -> None:
    clock = KitClock()
    for i in range(50):
        rx = T0 + i * 0.2
        clock.observe([entry(rx - 8.0, rx)])
    # Ten minutes offline; then the spool arrives in a burst, oldest first.
    back = T0 + 610.0
    for i in range(300):  # 10 minutes of device time, the last 10 s before the outage
        rx, ts = back + i * 0.002, T0 + 10.0 - 8.0 + i * 2.0 - 10.0
        clock.observe([entry(ts, rx)])
        # Mapped with the offset from before the outage: as old as it is, not live.
        assert clock.service_time(entry(ts, rx)) == pytest.approx(ts + 8.0)
        assert rx - clock.service_time(entry(ts, rx)) > 10.0
    assert clock.offset == pytest.approx(8.0)


def test_a_kit_clock_stepped_back_is_tracked_again_within_the_window() -> None:
    clock = KitClock()
    for i in range(100):
        rx = T0 + i * 0.2
        clock.observe([entry(rx - 8.0, rx)])
    for i in range(100, 400):  # NTP stepped the kit's clock back by 5 s
        rx = T0 + i * 0.2
        clock.observe([entry(rx - 13.0, rx)])
    assert clock.offset == pytest.approx(13.0)


def test_twin_view_keeps_values_and_orders_by_device_time() -> None:
    twin = Twin(KIT, online=True)
    twin.apply_derived({"cpr_rate": ValueEntry(110.0, "/min", T0 - 8.0, T0)}, T0)
    view = twin_view(twin, T0 + 1.0)
    assert view.values == {"cpr_rate": 110.0}
    assert view.value_ts == {"cpr_rate": pytest.approx(T0)}
    assert view.now == T0 + 1.0 and view.online
