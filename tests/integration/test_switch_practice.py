"""Issue 12, must-show 2: simulated switch users over the session websocket, target known.

Three learners practise at once against the real service (``accesstwin serve`` with a
private Mosquitto), each in a ``switch-practice`` session of 20 trials, starting from the
1 s default scan time. Each presses ``select`` one reaction time after the highlight
first reaches the trial's target (``"target"`` in the feedback frame): a press slower
than the scan time lands on a later item. Reaction times come from
``devices.simulation.SwitchUser`` (ex-Gaussian), seeded.

* slow: 1.25 +- 0.12 s -> at most 2 of the last 10 trials wrong, final scan time >= 1.25 s
* fast: 0.5 +- 0.08 s -> sped up from 1 s, yet not below the learner's own history
  (mean + 2 SD of the press times the service measured), at most one wrong
* lucky: 8 quick presses (0.4 s), then the slow learner -> never two errors in a row
  after the quick run, at most 2 of the last 10 wrong.
The figures are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from devices.simulation import SwitchUser
from tests.support.service import ServiceProcess

pytestmark = pytest.mark.integration

HOLD_S = 0.15
TRIALS = 20


@dataclass
class Learner:
    name: str
    reaction_s: list[float]
    report: dict[str, Any] = field(default_factory=dict)
    profile: dict[str, Any] = field(default_factory=dict)
    intervals: list[int] = field(default_factory=list)  # scan time shown at each trial
    error: BaseException | None = None


def practise(service: ServiceProcess, learner: Learner, kit: str) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    created = client.post(
        "/api/v1/sessions",
        json={"learner_id": learner.name, "lab": "practice", "kit": kit,
              "scenario": "switch-practice"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    sid, token = body["session_id"], body["learner_token"]
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{sid}?token={token}"
    target: int | None = None
    seen = False
    trial = 0
    press_at: float | None = None
    up_at: float | None = None
    deadline = time.monotonic() + 240
    with connect(url) as ws:
        while time.monotonic() < deadline:
            waits = [t - time.monotonic() for t in (press_at, up_at) if t is not None]
            try:
                frame = json.loads(ws.recv(timeout=max(0.005, min([0.05, *waits]))))
            except TimeoutError:
                frame = None
            now = time.monotonic()
            if press_at is not None and now >= press_at:
                ws.send(json.dumps({"type": "switch", "switch": "select", "state": "down"}))
                press_at, up_at = None, now + HOLD_S
            if up_at is not None and now >= up_at:
                ws.send(json.dumps({"type": "switch", "switch": "select", "state": "up"}))
                up_at = None
            if frame is None:
                continue
            highlighted = None
            if frame["type"] == "feedback" and frame.get("target"):
                ids = [c["id"] for c in frame["choices"]]
                assert len(ids) == 4
                target, seen, trial = ids.index(frame["target"]), False, trial + 1
                learner.intervals.append(frame["scan"]["interval_ms"])
                highlighted = frame["scan"]["highlighted"]
            elif frame["type"] == "feedback" and frame["text"].startswith("Practice finished"):
                break
            elif frame["type"] == "scan":
                highlighted = frame["highlighted"]
            if target is not None and not seen and highlighted == target:
                seen = True
                press_at = now + learner.reaction_s[trial - 1]
    report = client.get(f"/api/v1/sessions/{sid}/report").json()
    learner.report = report
    learner.profile = client.get(f"/api/v1/learners/{learner.name}/profile").json()


def run_all(service: ServiceProcess, learners: list[Learner]) -> None:
    def one(learner: Learner, kit: str) -> None:
        try:
            practise(service, learner, kit)
        except BaseException as exc:
            learner.error = exc

    threads = [threading.Thread(target=one, args=(x, f"k{i}")) for i, x in enumerate(learners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    for learner in learners:
        if learner.error is not None:
            raise learner.error


def summary(learner: Learner) -> str:
    d = learner.report["score"]["decisions"]
    marks = "".join("." if x["correct"] else ("-" if x["chosen"] is None else "x") for x in d)
    return (
        f"{learner.name}: trials {marks} (x wrong, - no press); "
        f"wrong in last 10: {sum(not x['correct'] for x in d[-10:])}; "
        f"scan time per trial {learner.intervals} ms -> final "
        f"{learner.report['scan']['interval_ms']} ms; "
        f"explained: {learner.report['scan_explained']}"
    )


# Three simulated learners press in real time: 20 trials each, the slow ones at a scan time
# of about 2 s (up to 4 items and the first item's extra time a trial), about 100 s under
# the parallel run's load; the 120 s default timed out once at a load average of 16.
# The retry it once had (late presses under load) is gone: a late press at the first
# item measured nothing, and one late press slowed only to itself + 100 ms; both fixed
# (tests/unit/test_scan_speed_change.py, docs/switch-scanning.md).
@pytest.mark.timeout(300)
def test_practice_learns_each_learners_scan_time_from_known_targets(
    service: ServiceProcess,
) -> None:
    slow = Learner("slow", SwitchUser(21, 1250, 120, miss_prob=0.0).reaction_times_s(20).tolist())
    fast = Learner("fast", SwitchUser(22, 500, 80, miss_prob=0.0).reaction_times_s(20).tolist())
    lucky_slow = SwitchUser(23, 1250, 120, miss_prob=0.0).reaction_times_s(12).tolist()
    lucky = Learner("lucky", [0.4] * 8 + lucky_slow)
    run_all(service, [slow, fast, lucky])
    for learner in (slow, fast, lucky):
        print(summary(learner))
        decisions = learner.report["score"]["decisions"]
        assert [d["step"] for d in decisions] == [f"trial-{i}" for i in range(1, TRIALS + 1)]
        assert all({"step", "chosen", "correct", "first_try", "rt_ms"} <= set(d) for d in decisions)
        assert learner.intervals[0] == 1000  # everyone starts at the default
        # The learnt scan time is the report's and is kept in the learner's profile.
        assert learner.profile["scan_interval_ms"] == learner.report["scan"]["interval_ms"]

    slow_d = slow.report["score"]["decisions"]
    assert sum(not d["correct"] for d in slow_d[-10:]) <= 2, summary(slow)
    assert slow.report["scan"]["interval_ms"] >= 1250, summary(slow)

    fast_rts = [d["rt_ms"] for d in fast.report["score"]["decisions"] if d["rt_ms"] is not None]
    floor = statistics.fmean(fast_rts) + 2 * statistics.pstdev(fast_rts)
    final = fast.report["scan"]["interval_ms"]
    print(f"fast: measured RT mean {statistics.fmean(fast_rts):.0f} ms, mean + 2 SD {floor:.0f} ms")
    assert final < 1000, summary(fast)  # sped up
    assert final >= floor - 1, summary(fast)  # not below what their own presses support
    # At most one late press: at a load average of 24 one of the fast learner's presses
    # reached the service 0.88 s after the target lit (their mean 0.56 s) at 810 ms; the
    # .65 rule (about mean + 2 SD) lets such a press through late, and then slows at once.
    fast_marks = "".join("." if d["correct"] else "x" for d in fast.report["score"]["decisions"])
    assert fast_marks.count("x") <= 1, summary(fast)

    lucky_d = lucky.report["score"]["decisions"]
    after = "".join("x" if not d["correct"] else "." for d in lucky_d[8:])
    assert "xx" not in after, summary(lucky)
    assert sum(not d["correct"] for d in lucky_d[-10:]) <= 2, summary(lucky)
    assert min(lucky.intervals) >= 600, summary(lucky)  # bounded speed-up on a lucky run
