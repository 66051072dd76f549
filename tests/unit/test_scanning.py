"""The switch-scanning state machine and the .65-rule adaptive interval."""

from __future__ import annotations

import re

import pytest

from accessibility.model import Choice, LearnerProfile
from accessibility.scanning import AdaptiveInterval, ScanMachine, ScanSettings
from devices.simulation import SwitchUser

CHOICES = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(4))


def machine(**kw: object) -> ScanMachine:
    m = ScanMachine(ScanSettings(**kw))  # type: ignore[arg-type]
    m.set_choices(CHOICES, 0.0)
    return m


def press(m: ScanMachine, t: float, switch: str = "select", hold: float = 0.05) -> list[str]:
    down = m.on_switch(switch, "down", t)  # type: ignore[arg-type]
    up = m.on_switch(switch, "up", t + hold)  # type: ignore[arg-type]
    return [down.kind, up.kind]


# ---- auto ----------------------------------------------------------------------------------


def test_auto_advances_by_itself_and_select_picks_the_highlighted_item() -> None:
    m = machine()
    assert m.highlighted == 0
    assert m.next_deadline() == pytest.approx(1.7)  # 1 s + 0.7 s first-item extra
    assert m.tick(1.69).kind == "none"
    out = m.tick(1.7)
    assert (out.kind, out.highlighted) == ("moved", 1)
    assert m.next_deadline() == pytest.approx(2.7)
    out = m.on_switch("select", "down", 2.5)
    assert out.kind == "selected" and out.choice == CHOICES[1]
    assert m.highlighted == 0  # the scan starts again at the top
    assert m.next_deadline() == pytest.approx(4.2)


def test_first_item_extra_time_applies_on_every_pass() -> None:
    m = machine()
    deadlines = []
    for _ in range(6):
        deadline = m.next_deadline()
        assert deadline is not None
        deadlines.append(round(deadline, 3))
        m.tick(deadline)
    assert deadlines == [1.7, 2.7, 3.7, 4.7, 6.4, 7.4]


def test_a_late_tick_catches_up_every_move() -> None:
    m = machine(first_item_extra_ms=0)
    assert m.tick(3.5).highlighted == 3


def test_next_moves_at_once_in_auto() -> None:
    m = machine()
    assert m.on_switch("next", "down", 0.5).highlighted == 1
    assert m.next_deadline() == pytest.approx(1.5)


def test_loops_stop_then_a_press_restarts_without_choosing() -> None:
    m = machine(loops=2, first_item_extra_ms=0)
    assert m.state_for_frame()["loops_left"] == 2
    assert m.tick(7.9).highlighted == 3
    out = m.tick(8.0)
    assert (out.kind, out.highlighted) == ("paused", None)
    assert m.next_deadline() is None
    assert m.state_for_frame() == {
        "mode": "auto",
        "interval_ms": 1000,
        "highlighted": None,
        "loops_left": 0,
        "paused": True,
        "adaptive": False,
        "groups": None,
        "level": None,
        "group": None,
        "back": False,
    }
    assert m.tick(100.0).kind == "none"
    out = m.on_switch("select", "down", 100.0)
    assert (out.kind, out.highlighted, out.choice) == ("restarted", 0, None)
    assert m.state_for_frame()["paused"] is False
    assert m.state_for_frame()["loops_left"] == 2


# ---- step and dwell --------------------------------------------------------------------------


def test_step_moves_only_on_next_and_wraps() -> None:
    m = machine(mode="step")
    assert m.next_deadline() is None
    assert m.tick(1000.0).highlighted == 0
    for i, expected in enumerate((1, 2, 3, 0, 1)):
        press(m, 1001.0 + i, "next")
        assert m.highlighted == expected
    out = m.on_switch("select", "down", 2000.0)
    assert out.choice == CHOICES[1]


def test_dwell_accepts_the_item_left_highlighted() -> None:
    m = machine(mode="dwell")
    assert m.highlighted is None and m.next_deadline() is None  # waits for a first press
    assert m.on_switch("select", "down", 1.0).highlighted == 0
    assert m.tick(3.0).kind == "none"  # held: the dwell clock does not run
    m.on_switch("select", "up", 3.2)
    assert m.next_deadline() == pytest.approx(4.9)  # release + 1 s + first-item extra
    assert press(m, 4.0) == ["moved", "none"]
    assert m.next_deadline() == pytest.approx(5.05)
    assert m.tick(5.0).kind == "none"
    out = m.tick(5.05)
    assert (out.kind, out.choice, m.highlighted) == ("selected", CHOICES[1], None)


def test_a_press_after_an_overdue_dwell_reports_the_choice_and_the_new_highlight() -> None:
    m = machine(mode="dwell")
    press(m, 1.0)
    out = m.on_switch("select", "down", 9.0)  # tick was never called: the dwell ran out
    assert (out.kind, out.choice, out.highlighted) == ("selected", CHOICES[0], 0)
    assert m.highlighted == 0


def test_dwell_wraps_and_both_switch_names_move() -> None:
    m = machine(mode="dwell")
    for i, switch in enumerate(["next", "select", "next", "select", "next"]):
        press(m, 1.0 + 0.5 * i, switch)
    assert m.highlighted == 0


# ---- debounce, acceptance, no choices -------------------------------------------------------


def test_debounce_ignores_a_bounce_after_release() -> None:
    m = machine(mode="step")
    assert press(m, 1.0, "next", hold=0.1) == ["moved", "none"]
    assert m.on_switch("next", "down", 1.15).reason == "debounce"  # 50 ms after release
    assert m.on_switch("next", "up", 1.18).kind == "none"
    assert m.highlighted == 1
    assert m.on_switch("next", "down", 1.25).kind == "moved"  # 150 ms after the real release
    assert m.highlighted == 2


def test_debounce_filters_simulated_tremor_bounces() -> None:
    user = SwitchUser(7, bounce_prob=1.0)
    m = machine(mode="step", debounce_ms=200)
    kinds = []
    for i in range(20):
        for e in user.press_events(10.0 * i, "next"):
            kinds.append(m.on_switch("next", e["state"], float(e["ts"])).kind)  # type: ignore[arg-type]
    assert kinds.count("moved") == 20
    assert kinds.count("ignored") == 20
    assert m.highlighted == 0


def test_acceptance_needs_the_switch_held() -> None:
    m = machine(mode="step", acceptance_ms=300)
    assert m.on_switch("next", "down", 1.0).kind == "none"
    assert m.next_deadline() == pytest.approx(1.3)
    out = m.on_switch("next", "up", 1.2)
    assert (out.kind, out.reason, out.highlighted) == ("ignored", "acceptance", 0)
    m.on_switch("next", "down", 2.0)
    assert m.tick(2.3).kind == "moved"
    assert m.on_switch("next", "up", 2.5).kind == "none"
    assert m.highlighted == 1


def test_acceptance_chooses_the_item_highlighted_when_the_press_began() -> None:
    m = machine(acceptance_ms=300, first_item_extra_ms=0)
    m.on_switch("select", "down", 0.9)  # item 0; the highlight moves on at 1.0
    out = m.on_switch("select", "up", 1.25)  # held 350 ms: due events are applied first
    assert out.kind == "selected" and out.choice == CHOICES[0]


def test_nothing_to_choose_and_stray_releases() -> None:
    m = ScanMachine(ScanSettings())
    assert m.on_switch("select", "down", 1.0).reason == "no_choices"
    m.set_choices([], 2.0)
    assert m.highlighted is None and m.next_deadline() is None
    assert m.on_switch("next", "up", 3.0).reason == "no_press"
    with pytest.raises(ValueError, match="switch event"):
        m.on_switch("big", "down", 4.0)  # type: ignore[arg-type]


def test_set_choices_during_a_scan_restarts_and_drops_a_held_press() -> None:
    m = machine(loops=2, acceptance_ms=300)
    m.tick(3.0)
    assert m.highlighted == 2
    m.on_switch("select", "down", 3.1)
    m.set_choices(CHOICES[:2], 3.2)
    assert m.highlighted == 0 and m.next_deadline() == pytest.approx(4.9)
    assert m.on_switch("select", "up", 3.6).kind == "none"  # not chosen from the new list
    assert m.state_for_frame()["loops_left"] == 2


def test_time_going_backwards_is_taken_as_the_latest_time() -> None:
    m = machine()
    m.tick(2.0)
    assert m.on_switch("select", "down", 1.0).choice == CHOICES[1]


def test_settings_validation_and_profile_mapping() -> None:
    with pytest.raises(ValueError, match="interval"):
        ScanSettings(interval_ms=100)
    with pytest.raises(ValueError, match="loops"):
        ScanSettings(loops=0)
    one_switch_step = ScanSettings.from_profile(LearnerProfile(scan_mode="step"))
    assert one_switch_step.mode == "dwell"
    two = ScanSettings.from_profile(LearnerProfile(switch_count=2, scan_mode="step"))
    assert two.mode == "step" and two.adaptive
    assert ScanSettings.from_profile(LearnerProfile(scan_interval_ms=60_000)).interval_ms == 10_000


# ---- adaptive interval ----------------------------------------------------------------------


def test_adaptive_waits_for_five_samples() -> None:
    a = AdaptiveInterval(1000)
    for _ in range(4):
        a.record(1.3)
    assert a.interval_ms == 1000
    assert "measuring" in a.explain() and "4 of 5" in a.explain()
    a.record(1.3)
    # +20 % would give 1.2 s, but every press took 1.3 s: the floor (1.3 s + 0.1 s) wins
    assert a.interval_ms == 1400


def test_adaptive_speeds_up_gradually_and_converges_to_mean_over_065() -> None:
    a = AdaptiveInterval(3000)
    seen = [a.interval_ms]
    for rt in [1.2, 1.4] * 30:
        a.record(rt)
        assert a.interval_ms >= 0.8 * seen[-1] - 1  # at most -20 % per adjustment
        seen.append(a.interval_ms)
    # 5th sample: mean 1.28 s -> 1.97 s, limited to -20 % (2.4 s); then the target itself
    assert seen[5:8] == [2400, 2000, 1978]
    assert a.interval_ms == pytest.approx(1300 / 0.65, abs=1)
    assert len(a.samples) == 20  # bounded history


def test_adaptive_slows_down_by_steps_of_20_percent_above_the_floor() -> None:
    a = AdaptiveInterval(1000)
    seen = []
    for _ in range(8):
        a.record(1.3)
        seen.append(a.interval_ms)
    assert seen == [1000, 1000, 1000, 1000, 1400, 1680, 2000, 2000]


def test_adaptive_never_below_the_learners_own_slow_presses() -> None:
    a = AdaptiveInterval(1000)
    for rt in [0.5] * 16 + [3.0] * 4:  # mean 1.0 s -> .65 rule says 1.54 s
        a.record(rt)
    assert a.interval_ms == 3100  # 90th percentile 3.0 s + 0.1 s, applied at once
    assert "raised to 3.10 s" in a.explain()


@pytest.mark.parametrize(("rt", "bound"), [(0.1, 250), (9.0, 10_000)])
def test_adaptive_stays_within_bounds(rt: float, bound: int) -> None:
    a = AdaptiveInterval(1000)
    for _ in range(60):
        a.record(rt)
        assert 250 <= a.interval_ms <= 10_000
    assert a.interval_ms == bound
    assert "kept within 0.25-10 s" in a.explain()
    with pytest.raises(ValueError, match="reaction time"):
        a.record(float("nan"))


def test_explain_text_contains_the_numbers() -> None:
    a = AdaptiveInterval(1800)
    for rt in [1.05, 1.15, 1.25] * 4:
        a.record(rt)
    text = a.explain()
    assert text.startswith("Scan time 1.8 s: your last 12 presses averaged 1.15 s")
    assert "average ÷ 0.65 = 1.77 s" in text
    assert re.search(r"\d", ScanMachine(ScanSettings()).explain())


def test_machine_records_reaction_times_but_not_carry_over_presses() -> None:
    m = machine(adaptive=True, first_item_extra_ms=0)
    assert m.adaptive is not None
    m.on_switch("select", "down", 0.6)  # 0.6 s after the highlight reached item 0
    m.on_switch("select", "up", 0.7)
    m.tick(1.8)  # restarted at 0.6; the highlight reached item 1 at 1.6
    m.on_switch("select", "down", 1.9)  # 0.2 s: probably meant for item 0, not a sample
    assert m.adaptive.samples == pytest.approx((0.6,))
    assert m.state_for_frame()["adaptive"] is True


def test_the_learner_can_set_their_own_scan_time_within_bounds() -> None:
    from accessibility.model import Choice as _Choice

    machine = ScanMachine(ScanSettings(interval_ms=1_000, adaptive=True))
    machine.set_choices([_Choice("a", "A"), _Choice("b", "B")], 0.0)
    machine.set_interval(3_000)
    assert machine.interval_ms == 3_000
    machine.set_interval(50_000)
    assert machine.interval_ms == 10_000
    machine.set_interval(10)
    assert machine.interval_ms == 250


def test_a_bounce_after_the_press_that_chose_is_still_bounce() -> None:
    """The choice sets new choices while the switch is held; its release still starts the
    debounce time, so the bounce does not choose in the next question (the post-selection
    delay, which would also hold it, off: this is the debounce's own rule)."""
    m = machine(debounce_ms=100, post_select_ms=0)
    assert m.on_switch("select", "down", 0.5).kind == "selected"
    m.set_choices(CHOICES, 0.5)  # the next question, as a session does at once
    m.on_switch("select", "up", 0.8)
    out = m.on_switch("select", "down", 0.83)
    assert (out.kind, out.reason) == ("ignored", "debounce")
    m.on_switch("select", "up", 0.84)
    assert m.on_switch("select", "down", 0.95).kind == "selected"  # 150 ms on: a press


# ---- post-selection delay -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["auto", "step"])
def test_a_bounce_just_after_a_choice_does_not_answer_the_next_question(mode: str) -> None:
    """A tremor learner's bounce 120 ms after releasing the selecting press (a simulated
    learner: 6 of 20 practice trials lost this way) is ignored; a press once the delay is
    over counts. With the delay off (0) the bounce chose the next question's first item."""
    for post_select_ms, bounce_kind in ((300, "ignored"), (0, "selected")):
        m = machine(mode=mode, post_select_ms=post_select_ms)
        if mode == "step":
            m.on_switch("next", "down", 0.5)
            m.on_switch("next", "up", 0.55)
        down = m.on_switch("select", "down", 1.0)
        assert down.kind == "selected", down
        m.set_choices(CHOICES, 1.01)  # the next question, its first item highlighted at once
        m.on_switch("select", "up", 1.1)
        bounce = m.on_switch("select", "down", 1.22)  # 120 ms after the release
        assert bounce.kind == bounce_kind, (post_select_ms, bounce)
        if post_select_ms:
            assert bounce.reason == "post_select"
            m.on_switch("select", "up", 1.25)
            later = m.on_switch("select", "down", 1.5)  # 400 ms after the release
            assert later.kind == "selected" and later.choice == CHOICES[0], later


def test_the_post_selection_delay_counts_from_the_release_of_the_press_that_chose() -> None:
    """A long press's bounce comes long after the choice: the delay runs from its release."""
    m = machine(mode="auto", post_select_ms=250)
    assert m.on_switch("select", "down", 1.0).kind == "selected"
    m.set_choices(CHOICES, 1.01)
    m.on_switch("select", "up", 1.6)  # held 600 ms
    bounce = m.on_switch("select", "down", 1.75)  # 150 ms after the release
    assert (bounce.kind, bounce.reason) == ("ignored", "post_select")
    m.on_switch("select", "up", 1.8)
    other = m.on_switch("next", "down", 1.82)  # the other switch too
    assert (other.kind, other.reason) == ("ignored", "post_select")
    m.on_switch("next", "up", 1.9)
    assert m.on_switch("select", "down", 2.2).kind == "selected"  # 600 ms after the release


def test_the_profile_sets_the_post_selection_delay() -> None:
    assert ScanSettings.from_profile(LearnerProfile()).post_select_ms == 0  # off by default
    assert ScanSettings.from_profile(LearnerProfile(post_select_ms=800)).post_select_ms == 800
    with pytest.raises(ValueError, match="post_select_ms"):
        ScanSettings(post_select_ms=-1)
