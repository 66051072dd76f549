"""After a change of the learner's speed the scan time is slow enough at once (issue 12).

The lucky learner of tests/integration/test_switch_practice.py (8 quick presses, then a
slow user) once got two wrong trials in a row under load. Two causes, both pure:
``judge_trial`` took the scan's restart at the first item (at the press instant) as the
target's latest arrival, so a late press at a first-item target measured nothing and
slowed nothing; and a late press slowed only to that press + 100 ms, while the window's
.65-rule target was diluted by the quick run. Here many seeds of simulated learners
(``devices.simulation.scan_practice``, presses 50-200 ms late as under load) practise
against the real ScanMachine and KnownTargetScanTime; docs/switch-scanning.md has the
counts before and after.
"""

from __future__ import annotations

import pytest

from accessibility.scan_calibration import KnownTargetScanTime, TrialTiming, judge_trial
from devices.simulation.scan_practice import LEARNERS, LOAD_DELAY_S, practise

SEEDS = range(100)
BY_NAME = {who.name: who for who in LEARNERS}


def test_the_scans_restart_at_the_press_is_not_the_targets_arrival() -> None:
    # Target 0 lit at 3.7 s; the press at 5.0 s landed on item 1, and selecting restarted
    # the scan at item 0 at 5.0 s: the reaction is 1.3 s, not 0 s.
    trial = judge_trial(target=0, chosen=1, pressed_at=5.0, target_arrivals=[3.7, 5.0], loop_s=4.7)
    assert trial == TrialTiming("late", pytest.approx(1.3))
    right = judge_trial(target=0, chosen=0, pressed_at=4.5, target_arrivals=[3.7, 4.5], loop_s=4.7)
    assert right == TrialTiming("correct", pytest.approx(0.8))


def test_a_late_press_after_a_lucky_run_slows_by_the_65_rule_on_that_press() -> None:
    learner = KnownTargetScanTime(810, history_s=[0.45] * 8)
    learner.record(TrialTiming("late", 1.3))
    # The window's mean (0.54 s) / 0.65 would be 0.83 s and press + 100 ms 1.4 s: too
    # little for a learner who now presses in 1.3 +- 0.12 s (plus load).
    assert learner.interval_ms == 2000
    assert "1.30 ÷ 0.65 = 2.00 s" in learner.explain()


def test_the_window_target_wins_when_it_is_slower_and_says_so() -> None:
    learner = KnownTargetScanTime(1000, history_s=[1.5, 1.6, 1.4, 1.5, 1.5])
    learner.record(TrialTiming("late", 1.1))
    assert learner.interval_ms == round(sum([1.5, 1.6, 1.4, 1.5, 1.5, 1.1]) / 6 / 0.65 * 1000)
    assert "your last 6 presses need" in learner.explain()


def test_a_late_press_that_cannot_be_measured_slows_as_a_no_press() -> None:
    learner = KnownTargetScanTime(800)
    learner.record(TrialTiming("late", None))
    assert learner.interval_ms == 1000 and "was late" in learner.explain()


@pytest.mark.parametrize("name", ["lucky", "slow", "tiring"])
def test_never_two_wrong_in_a_row_after_the_learner_slows_down(name: str) -> None:
    who = BY_NAME[name]
    runs = [practise(who.reactions(s), seed=s, delay_s=LOAD_DELAY_S) for s in SEEDS]
    worst = [s for s, r in zip(SEEDS, runs, strict=True) if r.longest_wrong_run(who.change_at) >= 2]
    wrong = sum(r.wrong(who.change_at) for r in runs)
    print(f"{name}: {len(worst)} of {len(runs)} runs with 2 wrong in a row; {wrong} wrong")
    assert worst == []


def test_a_tremor_learner_rarely_gets_two_wrong_in_a_row() -> None:
    # 0.8 +- 0.25 s with 5 % lapses (a press 0.4-1.2 s later): a lapse right after a late
    # press is two in a row no scan time short of very slow avoids: 1 of these 100 runs
    # (seed 57: 1.15 s late at 1 s, then a 2.0 s lapse at 2.07 s); 3 before the fix.
    who = BY_NAME["tremor"]
    runs = [practise(who.reactions(s), seed=s, delay_s=LOAD_DELAY_S) for s in SEEDS]
    assert sum(r.longest_wrong_run(who.change_at) >= 2 for r in runs) <= 1


def test_fast_learners_still_speed_up_and_stay_right() -> None:
    who = BY_NAME["fast"]
    runs = [practise(who.reactions(s), seed=s, delay_s=LOAD_DELAY_S) for s in SEEDS]
    finals = sorted(r.final_ms for r in runs)
    # Under load their measured presses are 0.5 s + 50-200 ms, whose .65-rule time is
    # about 0.96 s: most speed up from the 1 s default, none ends much slower than it
    # (before the fix: median 963 ms, highest 1044 ms; now 957 and 1043 ms).
    assert finals[len(finals) // 2] < 1000
    assert finals[-1] <= 1050
    assert all(r.wrong() <= 1 for r in runs)
    assert sum(r.wrong() for r in runs) <= 5  # of 2000 trials


def test_the_simulation_prints_one_line_a_learner(capsys: pytest.CaptureFixture[str]) -> None:
    from devices.simulation.scan_practice import main

    main(["--seeds", "2", "--delay-ms", "0", "0"])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "seeds 0-1, extra press delay 0-0 ms"
    assert [line.split(" ", 1)[0] for line in out[2:]] == [who.name for who in LEARNERS]
