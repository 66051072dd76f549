"""A slow simulated learner in auto scan: fixed 1 s scan time vs the .65-rule adaptive one.

Each trial shows 4 choices and a target. The learner (``devices.simulation.SwitchUser``:
ex-Gaussian reaction times with occasional late presses) presses one reaction time after
the highlight first reaches the target; if the highlight has moved on by then, the
wrong item is chosen. Seeded and pure: the same figures every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from accessibility.model import Choice
from accessibility.scanning import ScanMachine, ScanSettings
from devices.simulation import SwitchUser

CHOICES = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(4))
SEEDS = range(5)
TRIALS = 300
MEAN_RT_MS, SD_RT_MS = 1300.0, 400.0
FEEDBACK_PAUSE_S = 0.5  # between a choice and the next question


@dataclass
class Result:
    trials: int = 0
    correct: int = 0
    wrong: int = 0
    missed: int = 0  # nothing chosen (loops ran out)
    total_s: float = 0.0  # whole session
    correct_trial_s: float = 0.0  # question shown -> right answer chosen, summed
    final_interval_ms: int = 0

    def add(self, other: Result) -> None:
        for name in ("trials", "correct", "wrong", "missed", "total_s", "correct_trial_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def wrong_rate(self) -> float:
        return self.wrong / self.trials

    @property
    def session_s_per_correct(self) -> float:
        return self.total_s / max(self.correct, 1)

    @property
    def mean_correct_trial_s(self) -> float:
        return self.correct_trial_s / max(self.correct, 1)


def run_session(seed: int, adaptive: bool) -> Result:
    learner = SwitchUser(seed, mean_reaction_ms=MEAN_RT_MS, sd_ms=SD_RT_MS)
    targets = random.Random(seed)
    scan = ScanMachine(ScanSettings(mode="auto", interval_ms=1000, adaptive=adaptive))
    res, t = Result(), 0.0
    for _ in range(TRIALS):
        target, shown = targets.randrange(len(CHOICES)), t
        scan.set_choices(CHOICES, t)
        while scan.highlighted != target and (deadline := scan.next_deadline()) is not None:
            t = deadline
            scan.tick(t)
        chosen = None
        for event in learner.press_events(t, "select"):
            ts = float(str(event["ts"]))
            while (deadline := scan.next_deadline()) is not None and deadline <= ts:
                scan.tick(deadline)
            outcome = scan.on_switch("select", "down" if event["state"] == "down" else "up", ts)
            if outcome.kind == "selected":
                chosen, chosen_at = outcome.choice, ts
            t = ts
        res.trials += 1
        if chosen is None:
            res.missed += 1
        elif chosen == CHOICES[target]:
            res.correct += 1
            res.correct_trial_s += chosen_at - shown
        else:
            res.wrong += 1
        t += FEEDBACK_PAUSE_S
    res.total_s, res.final_interval_ms = t, scan.interval_ms
    return res


def test_adaptive_scan_time_halves_wrong_selections_for_a_slow_learner() -> None:
    fixed, adaptive, finals = Result(), Result(), []
    for seed in SEEDS:
        fixed.add(run_session(seed, adaptive=False))
        one = run_session(seed, adaptive=True)
        adaptive.add(one)
        finals.append(one.final_interval_ms)
    summary = (
        f"slow learner (mean RT {MEAN_RT_MS / 1000:.1f} s, sd {SD_RT_MS / 1000:.1f} s), "
        f"{len(SEEDS)} seeds x {TRIALS} trials, 4 choices, auto scan:\n"
        f"  fixed 1.0 s: wrong {fixed.wrong_rate:.1%}, "
        f"{fixed.session_s_per_correct:.2f} s of session per correct selection, "
        f"{fixed.mean_correct_trial_s:.2f} s per correct trial\n"
        f"  adaptive   : wrong {adaptive.wrong_rate:.1%}, "
        f"{adaptive.session_s_per_correct:.2f} s of session per correct selection, "
        f"{adaptive.mean_correct_trial_s:.2f} s per correct trial, "
        f"final scan times {[f'{ms / 1000:.2f} s' for ms in finals]}"
    )
    print(summary)
    assert fixed.missed == adaptive.missed == 0, summary
    assert fixed.wrong_rate > 0.3, summary  # the learner really is too slow for 1 s
    assert adaptive.wrong_rate < fixed.wrong_rate / 2, summary
    assert adaptive.wrong_rate < 0.15, summary
    assert adaptive.session_s_per_correct < fixed.session_s_per_correct, summary
    # converged near mean / 0.65 = 2.0 s, within the product bounds
    assert all(1500 <= ms <= 3000 for ms in finals), summary


def test_simulation_is_deterministic() -> None:
    assert run_session(3, adaptive=True) == run_session(3, adaptive=True)
