"""Switch practice without the service: simulated learners against the real scan logic.

Each trial sets 4 choices on an ``accessibility.scanning.ScanMachine`` at the scan time
the ``accessibility.scan_calibration.KnownTargetScanTime`` has learnt; the learner presses
one reaction time after the highlight first reaches the trial's target, plus an extra
delay (a loaded machine: the frame reaches the page late and the press reaches the
service late; 50-200 ms by default), and the trial is judged as the service judges it.
Pure and seeded: the times are simulated, nothing sleeps. ``python -m
devices.simulation.scan_practice`` prints the counts quoted in docs/switch-scanning.md.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from accessibility.model import Choice
from accessibility.scan_calibration import KnownTargetScanTime, TrialKind, judge_trial
from accessibility.scanning import ScanMachine, ScanSettings

from .switch_user import SwitchUser

CHOICES: Final = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(4))
TRIALS: Final = 20
PAUSE_S: Final = 0.5  # between a press and the next trial's choices
LOAD_DELAY_S: Final = (0.05, 0.2)  # presses land this much later than intended under load


@dataclass(frozen=True, slots=True)
class PracticeRun:
    """What one simulated practice did, trial by trial."""

    kinds: tuple[TrialKind, ...]
    shown_ms: tuple[int, ...]  # the scan time during each trial
    final_ms: int

    def longest_wrong_run(self, start: int = 0) -> int:
        """The most trials in a row, from trial ``start`` (0-based) on, that were not right."""
        longest = now = 0
        for kind in self.kinds[start:]:
            now = now + 1 if kind != "correct" else 0
            longest = max(longest, now)
        return longest

    def wrong(self, start: int = 0) -> int:
        return sum(k != "correct" for k in self.kinds[start:])


def practise(
    reaction_s: Sequence[float],
    *,
    seed: int,
    delay_s: tuple[float, float] = LOAD_DELAY_S,
    learner: KnownTargetScanTime | None = None,
) -> PracticeRun:
    """One trial per reaction time, from the 1 s default unless ``learner`` is given."""
    learner = learner or KnownTargetScanTime(1000)
    rng = random.Random(seed)
    kinds: list[TrialKind] = []
    shown: list[int] = []
    t = 0.0
    for rt in reaction_s:
        shown.append(learner.interval_ms)
        scan = ScanMachine(ScanSettings(mode="auto", interval_ms=learner.interval_ms))
        target = rng.randrange(len(CHOICES))
        scan.set_choices(CHOICES, t)
        while scan.highlighted != target and (deadline := scan.next_deadline()) is not None:
            t = deadline
            scan.tick(t)
        press = t + rt + rng.uniform(*delay_s)
        while (deadline := scan.next_deadline()) is not None and deadline <= press:
            scan.tick(deadline)
        chosen = pressed = None
        if not scan.paused:
            out = scan.on_switch("select", "down", press)
            scan.on_switch("select", "up", press + 0.2)
            if out.kind == "selected" and out.choice is not None:
                chosen, pressed = CHOICES.index(out.choice), out.pressed_at
        trial = judge_trial(
            target=target,
            chosen=chosen,
            pressed_at=pressed,
            target_arrivals=scan.arrivals(target),
            loop_s=scan.loop_s(),
        )
        learner.record(trial)
        kinds.append(trial.kind)
        t = press + PAUSE_S
    return PracticeRun(tuple(kinds), tuple(shown), learner.interval_ms)


def _user(seed: int, mean_ms: float, sd_ms: float, n: int, miss: float = 0.0) -> list[float]:
    return [float(x) for x in SwitchUser(seed, mean_ms, sd_ms, miss_prob=miss).reaction_times_s(n)]


@dataclass(frozen=True, slots=True)
class SimulatedLearner:
    """A kind of learner: their reaction times for a seed, and the trial their speed changes
    (errors are counted from there: a slow learner's first trial at the 1 s default is
    expected to be late)."""

    name: str
    describe: str
    reactions: Callable[[int], list[float]]
    change_at: int


LEARNERS: Final = (
    SimulatedLearner("slow", "1.25 ± 0.12 s", lambda s: _user(s, 1250, 120, TRIALS), 1),
    SimulatedLearner("fast", "0.5 ± 0.08 s", lambda s: _user(s, 500, 80, TRIALS), 0),
    SimulatedLearner(
        "lucky",
        "8 at 0.4 s, then 1.25 ± 0.12 s",
        lambda s: [0.4] * 8 + _user(s, 1250, 120, TRIALS - 8),
        8,
    ),
    SimulatedLearner(
        "tremor",
        "0.8 ± 0.25 s, 5 % lapses",
        lambda s: _user(s, 800, 250, TRIALS, miss=0.05),
        1,
    ),
    SimulatedLearner(
        "tiring",
        "10 at 0.5 ± 0.08 s, then 0.9 ± 0.15 s",
        lambda s: _user(s, 500, 80, 10) + _user(s + 10_000, 900, 150, TRIALS - 10),
        10,
    ),
)


@dataclass(frozen=True, slots=True)
class Tally:
    """One learner over many seeds."""

    name: str
    runs: int
    two_in_a_row: int  # runs with 2 or more wrong in a row after the change
    wrong_after: int  # wrong trials after the change, all runs
    trials_after: int
    mean_final_ms: float
    lowest_final_ms: int
    mean_after_ms: float  # the mean scan time shown in the trials after the change


def tally(who: SimulatedLearner, seeds: range, delay_s: tuple[float, float]) -> Tally:
    runs = [practise(who.reactions(s), seed=s, delay_s=delay_s) for s in seeds]
    return Tally(
        who.name,
        len(runs),
        sum(r.longest_wrong_run(who.change_at) >= 2 for r in runs),
        sum(r.wrong(who.change_at) for r in runs),
        sum(len(r.kinds) - who.change_at for r in runs),
        sum(r.final_ms for r in runs) / len(runs),
        min(r.final_ms for r in runs),
        sum(sum(r.shown_ms[who.change_at :]) / len(r.shown_ms[who.change_at :]) for r in runs)
        / len(runs),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--delay-ms", type=float, nargs=2, default=[50.0, 200.0])
    args = parser.parse_args(argv)
    delay = (args.delay_ms[0] / 1000, args.delay_ms[1] / 1000)
    low, high = args.delay_ms
    print(f"seeds 0-{args.seeds - 1}, extra press delay {low:g}-{high:g} ms")
    print(
        "learner | runs with 2+ wrong in a row | wrong after the change | "
        "mean scan time after the change | final scan time"
    )
    for who in LEARNERS:
        t = tally(who, range(args.seeds), delay)
        print(
            f"{who.name} ({who.describe}) | {t.two_in_a_row} of {t.runs} | "
            f"{t.wrong_after} of {t.trials_after} | {t.mean_after_ms:.0f} ms | "
            f"mean {t.mean_final_ms:.0f} ms, "
            f"lowest {t.lowest_final_ms} ms"
        )


if __name__ == "__main__":
    main()
