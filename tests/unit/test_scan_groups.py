"""Group (row/column) scanning in the scan machine, with simulated presses."""

from __future__ import annotations

import pytest

from accessibility.model import Choice, LearnerProfile
from accessibility.scan_groups import Spot, group_layout
from accessibility.scanning import ScanMachine, ScanOutcome, ScanSettings
from devices.simulation import SwitchUser

EIGHT = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(8))


def machine(choices: tuple[Choice, ...] = EIGHT, **kw: object) -> ScanMachine:
    m = ScanMachine(ScanSettings(**kw))  # type: ignore[arg-type]
    m.set_choices(choices, 0.0)
    return m


def run_until(m: ScanMachine, done: object, t: float, limit: float = 120.0) -> float:
    """Tick the machine until ``done(m)``; return the time it became true."""
    while not done(m):  # type: ignore[operator]
        deadline = m.next_deadline()
        assert deadline is not None and deadline < limit, "the scan never got there"
        t = deadline
        m.tick(t)
    return t


def press(m: ScanMachine, t: float, switch: str = "select", hold: float = 0.05) -> ScanOutcome:
    down = m.on_switch(switch, "down", t)  # type: ignore[arg-type]
    up = m.on_switch(switch, "up", t + hold)  # type: ignore[arg-type]
    return down if down.kind != "none" else up


def group_of(m: ScanMachine, index: int) -> int:
    assert m.groups is not None
    return next(g for g, items in enumerate(m.groups) if index in items)


@pytest.mark.parametrize(
    ("n", "asked", "expected"),
    [
        (6, False, None),
        (7, False, ((0, 1, 2, 3), (4, 5, 6))),
        (8, False, ((0, 1, 2, 3), (4, 5, 6, 7))),
        (9, False, ((0, 1, 2), (3, 4, 5), (6, 7, 8))),
        (10, False, ((0, 1, 2, 3), (4, 5, 6), (7, 8, 9))),
        (2, True, None),
        (3, True, ((0, 1), (2,))),
        (6, True, ((0, 1, 2), (3, 4, 5))),
    ],
)
def test_layout_groups_steps_of_more_than_six_or_when_asked(
    n: int, asked: bool, expected: object
) -> None:
    assert group_layout(n, asked=asked) == expected


def test_groups_hold_three_or_four_choices_in_order() -> None:
    for n in range(7, 40):
        groups = group_layout(n)
        assert groups is not None
        assert [i for g in groups for i in g] == list(range(n))
        assert all(3 <= len(g) <= 4 for g in groups), (n, groups)


def test_profile_group_scan_reaches_the_machine() -> None:
    settings = ScanSettings.from_profile(LearnerProfile(group_scan=True))
    m = ScanMachine(settings)
    m.set_choices(EIGHT[:4], 0.0)
    assert m.state_for_frame()["groups"] == [[0, 1], [2, 3]]
    m.set_choices(EIGHT[:2], 0.0)
    assert m.state_for_frame()["groups"] is None


@pytest.mark.parametrize("target", range(8))
def test_one_switch_auto_scan_completes_an_eight_choice_step(target: int) -> None:
    m = machine()
    frame = m.state_for_frame()
    assert frame["groups"] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert (frame["level"], frame["group"], frame["highlighted"]) == ("groups", 0, None)
    want = group_of(m, target)
    t = run_until(m, lambda m: m.spot == Spot("group", want), 0.0)
    out = press(m, t + 0.3)
    assert out.kind == "opened" and m.level == "items"
    assert m.state_for_frame()["group"] == want
    assert m.highlighted == (m.groups or ())[want][0]  # first item of the group lit
    t = run_until(m, lambda m: m.highlighted == target, t + 0.35)
    out = press(m, t + 0.3)
    assert (out.kind, out.choice) == ("selected", EIGHT[target])
    assert (m.level, m.spot) == ("groups", Spot("group", 0))  # back to the top


def test_a_simulated_learner_completes_eight_choice_steps_with_one_switch() -> None:
    learner = SwitchUser(7, mean_reaction_ms=500, sd_ms=60)
    m, t, chosen = machine(interval_ms=1200), 0.0, []
    for target in (7, 0, 5, 3):
        m.set_choices(EIGHT, t)
        for wanted in (Spot("group", group_of(m, target)), Spot("choice", target)):
            t = run_until(m, lambda m, w=wanted: m.spot == w, t)
            for event in learner.press_events(t, "select"):
                ts = float(str(event["ts"]))
                out = m.on_switch("select", "down" if event["state"] == "down" else "up", ts)
                if out.kind == "selected":
                    chosen.append(out.choice)
                t = ts
    assert chosen == [EIGHT[i] for i in (7, 0, 5, 3)]


def test_two_switches_step_scan_groups_then_items() -> None:
    m = machine(mode="step")
    assert m.next_deadline() is None  # no timing in step scan
    assert m.spot == Spot("group", 0)
    assert press(m, 1.0, "next").kind == "moved" and m.spot == Spot("group", 1)
    assert press(m, 2.0, "next").kind == "moved" and m.spot == Spot("group", 0)  # wraps
    assert press(m, 3.0, "next").kind == "moved"
    assert press(m, 4.0).kind == "opened" and m.highlighted == 4
    for t in (5.0, 6.0):
        press(m, t, "next")
    out = press(m, 7.0)
    assert (out.kind, out.choice) == ("selected", EIGHT[6])


def test_back_returns_to_the_groups() -> None:
    m = machine(mode="step")
    press(m, 1.0, "next")
    assert press(m, 2.0).kind == "opened"
    for i, t in enumerate((3.0, 4.0, 5.0, 6.0)):
        press(m, t, "next")
        assert m.state_for_frame()["back"] is (i == 3)
    frame = m.state_for_frame()
    assert (frame["level"], frame["group"], frame["highlighted"]) == ("items", 1, None)
    out = press(m, 7.0)
    assert out.kind == "closed" and out.choice is None
    assert (m.level, m.spot) == ("groups", Spot("group", 0))
    assert press(m, 8.0).kind == "opened" and m.highlighted == 0  # the other group opens


def test_auto_scan_back_item_and_its_timing() -> None:
    m = machine(first_item_extra_ms=0)
    assert press(m, 0.5).kind == "opened"  # group 0
    t = run_until(m, lambda m: m.state_for_frame()["back"] is True, 0.6)
    assert t == pytest.approx(4.5)  # opened at 0.5 (no hold time), then 4 items of 1 s
    assert press(m, t + 0.5).kind == "closed"
    assert m.state_for_frame()["level"] == "groups"


def test_an_open_group_scanned_loops_times_returns_to_the_groups_then_pauses() -> None:
    m = machine(loops=2, first_item_extra_ms=0)
    press(m, 1.0)  # opens group 0 at 1.0
    closed_at = run_until(m, lambda m: m.level == "groups", 1.1)
    assert closed_at == pytest.approx(1.0 + 2 * 5)  # 2 passes over 4 items + back
    assert m.spot == Spot("group", 0)
    assert m.state_for_frame()["loops_left"] == 2  # the groups' passes start again
    paused_at = run_until(m, lambda m: m.paused, closed_at)
    assert paused_at == pytest.approx(closed_at + 2 * 2)
    assert press(m, paused_at + 1).kind == "restarted" and m.spot == Spot("group", 0)


def test_dwell_mode_groups() -> None:
    m = machine(mode="dwell", interval_ms=1000, first_item_extra_ms=0)
    assert m.spot is None and m.next_deadline() is None
    press(m, 1.0)  # group 0 lit
    press(m, 2.0)  # group 1 lit
    assert m.spot == Spot("group", 1)
    m.tick(2.05 + 1.0)  # left alone for the dwell time: the group opens
    assert m.level == "items" and m.spot is None  # nothing lit until a press
    assert m.next_deadline() is None
    press(m, 4.0)
    assert m.highlighted == 4
    out = m.tick(4.05 + 1.0)
    assert (out.kind, out.choice) == ("selected", EIGHT[4])


def test_hold_and_debounce_apply_to_group_presses() -> None:
    m = machine(acceptance_ms=300, debounce_ms=100, first_item_extra_ms=0)
    out = press(m, 0.2, hold=0.1)  # too short
    assert (out.kind, out.reason) == ("ignored", "acceptance")
    assert m.level == "groups"
    out = press(m, 0.35, hold=0.4)  # within 100 ms of the last release: bounce
    assert (out.kind, out.reason) == ("ignored", "debounce")
    assert m.level == "groups"
    m.on_switch("select", "down", 0.9)  # on group 0
    out = m.tick(1.2)  # held 300 ms: it counts, for the group lit when it went down
    assert out.kind == "opened" and m.highlighted == 0
    m.on_switch("select", "up", 1.3)


def test_only_confirmed_group_presses_teach_the_scan_time() -> None:
    m = machine(mode="auto", adaptive=True, interval_ms=1500, first_item_extra_ms=0)
    assert m.adaptive is not None
    press(m, 0.9)  # group 0 at 0.9 s after it lit
    t = run_until(m, lambda m: m.state_for_frame()["back"] is True, 1.0)
    press(m, t + 1.0)  # back: a correction, and the group press was a mistake
    assert m.adaptive.samples == ()
    t = run_until(m, lambda m: m.spot == Spot("group", 1), t + 1.1)
    press(m, t + 0.8)  # group 1, 0.8 s
    t = run_until(m, lambda m: m.highlighted == 5, t + 0.85)
    press(m, t + 0.7)  # choice 5, 0.7 s: now both count
    assert m.adaptive.samples == pytest.approx((0.8, 0.7))


def test_group_timeout_drops_the_group_press_sample() -> None:
    m = machine(adaptive=True, interval_ms=1500, first_item_extra_ms=0, loops=1)
    assert m.adaptive is not None
    press(m, 1.2)  # opens group 0; nothing chosen in it
    closed = run_until(m, lambda m: m.level == "groups", 1.3)
    assert closed == pytest.approx(1.2 + 5 * 1.5) and m.spot == Spot("group", 0)
    press(m, closed + 0.9)  # group 0 again, 0.9 s after it lit
    t = run_until(m, lambda m: m.highlighted == 1, closed + 0.95)
    press(m, t + 1.0)  # choice 1, 1.0 s
    assert m.adaptive.samples == pytest.approx((0.9, 1.0))  # not the 1.2 s of the first


def test_frames_name_level_group_and_highlight() -> None:
    m = machine(first_item_extra_ms=0)
    assert m.state_for_frame() | {} == {
        "mode": "auto", "interval_ms": 1000, "highlighted": None, "loops_left": 3,
        "paused": False, "adaptive": False, "groups": [[0, 1, 2, 3], [4, 5, 6, 7]],
        "level": "groups", "group": 0, "back": False,
    }  # fmt: skip
    m.tick(1.0)
    assert m.state_for_frame()["group"] == 1
    press(m, 1.5)
    frame = m.state_for_frame()
    assert (frame["level"], frame["group"], frame["highlighted"]) == ("items", 1, 4)


def test_clips_stretch_each_spot_to_its_clip_plus_300_ms() -> None:
    m = machine(first_item_extra_ms=0, interval_ms=1000)
    m.set_clips({Spot("group", 0): 1.5, Spot("group", 1): 0.2})
    assert m.next_deadline() == pytest.approx(1.8)  # the highlighted spot too
    m.tick(1.8)
    assert m.next_deadline() == pytest.approx(2.8)  # 0.2 + 0.3 < 1 s: the scan time
    m.set_choices(EIGHT, 3.0)
    assert m.next_deadline() == pytest.approx(4.0)  # new choices: old clips dropped
