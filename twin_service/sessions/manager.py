"""Learning sessions: a learner, a kit and a scenario, and the feedback that flows.

A session owns the scenario's ``FeedbackPolicy`` and the learner's ``ScanMachine``.
Twin changes of its kit feed the policy; switch events (from the kit's ``input`` topic
or the learner's websocket) drive the scan machine; a selected choice goes back to the
policy. New feedback is rendered for the learner's profile and sent to the session's
websocket group (and, as an alert, to the lab's).

Switch practice (``switch-practice``, ``accessibility.practice``): each trial's press is
judged against its known target (``accessibility.scan_calibration``), the learner's scan
time moves with it before the next trial is scanned, and the result is kept in the
learner's profile (``on_scan_learnt``). Other scenarios offer an undo choice for
``UNDO_WINDOW_S`` after each choice.

Clocks. The policy judges freshness (stale values, "no data for 3 s") and step times on one
clock, the service's. A kit's clock may be seconds off (a Raspberry Pi has no real-time
clock), so a value's device ``ts`` is never compared with the service clock directly: each
kit's ``KitClock`` maps device time onto the service clock, and device ``ts`` otherwise only
orders values (the twin's "latest").
"""

from __future__ import annotations

import itertools
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from accessibility.explained import phrases_json
from accessibility.feedback import FeedbackPolicy
from accessibility.languages import language
from accessibility.model import (
    Choice,
    Feedback,
    LearnerProfile,
    SwitchName,
    SwitchState,
)
from accessibility.monitor import SCENARIO_VITALS, vitals_speech
from accessibility.practice import PracticePolicy, PracticeScoring, practice_text
from accessibility.press_timing import PressTimer
from accessibility.render import render_feedback
from accessibility.scan_calibration import KnownTargetScanTime, judge_trial
from accessibility.scanning import ScanMachine, ScanOutcome, ScanSettings
from accessibility.scenario import Scenario
from accessibility.scenario_i18n import scenario_in
from accessibility.signals.compressions import Compression
from accessibility.speech import SpeechRequest, cache_key, text_for_speech
from accesstwin_contract.frames import FeedbackFrame, Frame, SpeechFrame
from accesstwin_contract.groups import lab_group, session_group
from accesstwin_contract.time_bounds import SWITCH_EVENT_MAX_AGE_S
from gateway.identifiers import KitRef
from twin_service.auth.revocations import Revocation, RevokedLearnerTokens
from twin_service.auth.tokens import digest, matches
from twin_service.ingest.compressions import compression_frame
from twin_service.live.hub import Hub
from twin_service.messages import message
from twin_service.sessions import scan_audio
from twin_service.sessions.kit_clock import KitClock, twin_view
from twin_service.sessions.observer import NoObserver, SessionObserver
from twin_service.sessions.practice_timing import timing_summary
from twin_service.sessions.scan_audio import ScanAudio, scan_block
from twin_service.twins.twin import Twin

log = logging.getLogger(__name__)

MAX_LOG = 2_000
# A learner token opens its session until this long after the session finished
# (ACCESSTWIN_LEARNER_TOKEN_GRACE_S): time to read the report, then it expires.
DEFAULT_LEARNER_TOKEN_GRACE_S = 3_600.0
# A kit's switch event older than this is counted and logged, never applied to scanning.
STALE_SWITCH_S = SWITCH_EVENT_MAX_AGE_S
STALE_LOG_EVERY_S = 10.0
# In a scenario with a monitor, every question also offers this: with one switch, the
# learner has the vitals read out (the question stays; scanning starts over).
READ_VITALS_ID = "_read_vitals"  # the scanned "Read the vitals" choice of a vitals step


def read_vitals_choice(lang: str) -> Choice:
    """The "Read the vitals" choice, labelled in the learner's language."""
    return Choice(READ_VITALS_ID, message(lang, "learn.read_vitals"))


READ_VITALS_EVERY_S = 1.0  # a page asking more often is refused (each read is speech)
ALERT_REPLAY_S = 30.0  # a page joining late still sees a warning or alarm this fresh
ALERT_REPLAY_MAX = 5  # ... the newest of each topic, this many at most
_SCAN_CHANGES = frozenset({"moved", "opened", "closed", "paused", "restarted", "selected"})
MAX_SPEECH_PER_SESSION = 256
# A finished session stays in memory this long (its page's last frames and audio), and
# at most LINGER_MAX of them; then only its records are left.
LINGER_S = 120.0
LINGER_MAX = 200
# A compression whose deepest point is older than this on the service clock is a replay.
LIVE_COMPRESSION_S = 5.0
# An undo choice follows each choice this long (docs/domain.md: "an undo within a second or two
# forgives a slip"; longer here, since a one-switch learner must scan to it).
UNDO_WINDOW_S = 6.0


def _rt_samples(scan: ScanMachine) -> tuple[float, ...]:
    return scan.adaptive.samples if scan.adaptive is not None else ()


@dataclass
class Session:
    id: str
    learner_id: str
    kit: KitRef
    scenario: Scenario
    profile: LearnerProfile
    policy: FeedbackPolicy | PracticePolicy
    scan: ScanMachine
    token_digest: bytes
    created_at: float
    finished_at: float | None = None
    calibration: KnownTargetScanTime | None = None  # switch practice: learns the scan time
    log: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=MAX_LOG))
    speech: OrderedDict[str, SpeechRequest] = field(default_factory=OrderedDict)
    prompt_frame: FeedbackFrame | None = None
    scan_audio: ScanAudio | None = None  # auditory scanning: the current choices' clips
    press_timer: PressTimer | None = None  # switch practice: raw presses, timing proposal
    timing_accepted: bool = False
    vitals_read_at: float = -float("inf")
    recorded_finished: bool = False

    # Called when the learner token is revoked (an open learner websocket closes).
    on_token_revoked: dict[int, Callable[[], None]] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return "finished" if self.finished_at is not None or self.policy.finished else "running"

    @property
    def audio_base(self) -> str:
        return f"/api/v1/sessions/{self.id}/speech"

    def scan_explained(self) -> str:
        return self.calibration.explain() if self.calibration else self.scan.explain()

    def scan_explained_phrases(self) -> list[dict[str, Any]]:
        """The same as phrases (accessibility.explained), for the reader's language."""
        source = self.calibration if self.calibration else self.scan
        return phrases_json(source.explain_phrases())

    def summary(self) -> dict[str, Any]:
        return {
            "session_id": self.id,
            "learner_id": self.learner_id,
            "lab": self.kit.lab,
            "kit": self.kit.kit,
            "scenario": self.scenario.id,
            "title": self.scenario.title,
            "lang": self.scenario.lang,
            "step": self.policy.step_id,
            "finished": self.policy.finished,
            "state": self.state,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "score": self.policy.score().to_dict(),
            **({"timing": t} if (t := timing_summary(self)) is not None else {}),
        }


class SessionManager:
    def __init__(
        self,
        scenarios: dict[str, Scenario],
        hub: Hub,
        profile_of: Callable[[str], LearnerProfile],
        max_sessions: int = 1_000,
        clock: Callable[[], float] = time.time,
        on_scan_learnt: Callable[[str, int], None] | None = None,
        observer: SessionObserver | None = None,
        learner_token_grace_s: float = DEFAULT_LEARNER_TOKEN_GRACE_S,
        revocations: RevokedLearnerTokens | None = None,
    ) -> None:
        """``on_scan_learnt(learner_id, interval_ms)``: a practice session finished with
        this scan time (the runtime keeps it in the learner's profile)."""
        self.scenarios = scenarios
        self._on_scan_learnt = on_scan_learnt
        self.observer: SessionObserver = observer if observer is not None else NoObserver()
        self.on_finished: Callable[[Session], None] | None = None
        # A scan changed (a press, Start, a choice, a new scan time): its next deadline may
        # be sooner than the scan clock's sleep, so the runtime wakes the clock.
        self.on_scan_changed: Callable[[], None] | None = None
        # Auditory scanning: new clips to render ahead, as (cache key, request).
        self.on_clips: Callable[[Session, list[tuple[str, SpeechRequest]]], None] | None = None
        self._lingering: OrderedDict[str, float] = OrderedDict()  # finished: id -> when
        self._clock = clock
        self.learner_token_grace_s = learner_token_grace_s
        # Revoked learner tokens: loaded from the records at start-up (runtime), asked
        # in memory at every admission.
        self.revocations = revocations if revocations is not None else RevokedLearnerTokens()
        self._watch_ids = itertools.count()
        self._hub = hub
        self._profile_of = profile_of
        self._max = max_sessions
        self._sessions: dict[str, Session] = {}
        self._by_kit: dict[KitRef, set[str]] = {}
        self._kit_clocks: dict[KitRef, KitClock] = {}
        self._twins: dict[KitRef, Twin] = {}  # the twin of each kit with a session
        self.stale_switch_events = 0  # kit switch events too old to apply (see STALE_SWITCH_S)
        self._stale_logged_at = -float("inf")

    # ---- lifecycle ------------------------------------------------------------------

    def create(self, learner_id: str, kit: KitRef, scenario_id: str) -> tuple[Session, str]:
        scenario = self.scenarios.get(scenario_id)
        if scenario is None:
            raise KeyError(f"unknown scenario {scenario_id!r}; known: {sorted(self.scenarios)}")
        if self.running >= self._max:
            raise OverflowError(f"limit: {self._max} sessions are running (the most allowed)")
        token = secrets.token_urlsafe(24)
        now = self._clock()
        session = self._new_session(
            secrets.token_hex(8), learner_id, kit, scenario, digest(token), now
        )
        self.observer.started(session, now)
        self._deliver(session, session.policy.start(now), now)
        return session, token

    def _new_session(
        self,
        session_id: str,
        learner_id: str,
        kit: KitRef,
        scenario: Scenario,
        token_digest: bytes,
        created_at: float,
    ) -> Session:
        profile = self._profile_of(learner_id)
        scenario = scenario_in(scenario, profile.language)  # texts in the learner's language
        settings = ScanSettings.from_profile(profile)
        policy: FeedbackPolicy | PracticePolicy
        calibration = None
        if isinstance(scenario.scoring, PracticeScoring):
            policy = PracticePolicy(scenario)
            calibration = KnownTargetScanTime(settings.interval_ms)
            settings = replace(settings, adaptive=False)  # the calibration sets the time
        else:
            rate = profile.speech_rate_wpm if profile.speech else None
            policy = FeedbackPolicy(scenario, speech_rate_wpm=rate, undo_window_s=UNDO_WINDOW_S)
        session = Session(
            id=session_id,
            learner_id=learner_id,
            kit=kit,
            scenario=scenario,
            profile=profile,
            policy=policy,
            scan=ScanMachine(settings),
            token_digest=token_digest,
            created_at=created_at,
            calibration=calibration,
            press_timer=PressTimer() if calibration is not None else None,
        )
        self._sessions[session.id] = session
        self._by_kit.setdefault(kit, set()).add(session.id)
        self._kit_clocks.setdefault(kit, KitClock())
        return session

    def resume(
        self,
        session_id: str,
        learner_id: str,
        kit: KitRef,
        scenario_id: str,
        token_digest: bytes,
        created_at: float,
        replay: Iterable[tuple[str, str, float]],
    ) -> Session:
        """Bring an interrupted session back: a new policy replays the recorded choices and
        instructor advances (``("choice", id, ts)`` / ``("advance", "", ts)``) silently, then
        the open step's prompt is delivered again. The learner's link keeps working."""
        scenario = self.scenarios.get(scenario_id)
        if scenario is None:
            raise KeyError(f"unknown scenario {scenario_id!r}")
        if session_id in self._sessions:
            raise ValueError("the session is running already")
        if self.running >= self._max:
            raise OverflowError(f"limit: {self._max} sessions are running (the most allowed)")
        session = self._new_session(session_id, learner_id, kit, scenario, token_digest, created_at)
        policy, now = session.policy, self._clock()
        policy.start(created_at)
        for kind, value, ts in replay:
            if kind == "choice":
                policy.choose(value, ts)
            elif kind == "advance":
                policy.advance(ts)
        self.observer.resumed(session, now)
        prompt = policy.current_prompt()
        self._deliver(session, [prompt] if prompt is not None else [], now)
        return session

    @property
    def running(self) -> int:
        return len(self._sessions) - len(self._lingering)

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def all(self) -> list[Session]:
        return sorted(self._sessions.values(), key=lambda s: s.created_at)

    def learner_may_open(self, session: Session, token: str | None) -> bool:
        """Whether ``token`` is the session's learner token, still in force: not revoked,
        and the session not finished longer ago than ``learner_token_grace_s``."""
        if self.revocations.revoked(session.token_digest) or (
            session.finished_at is not None
            and self._clock() > session.finished_at + self.learner_token_grace_s
        ):
            return False
        return matches(token, [session.token_digest])

    def follows(self, kit: KitRef) -> bool:
        """Whether a session follows ``kit``'s twin (its changes matter to it)."""
        return kit in self._by_kit

    def groups_of_kit(self, kit: KitRef) -> list[str]:
        """The websocket groups of the sessions on ``kit`` (their pages follow its twin)."""
        return [session_group(sid) for sid in self._by_kit.get(kit, ())]

    def revoke_learner_token(self, session: Session) -> int:
        """Refuse the session's learner token from now on, also after a restart (the
        revocation is recorded); returns how many open learner websockets were told (they
        close)."""
        now = self._clock()
        if not self.revocations.revoked(session.token_digest):
            revocation = Revocation(session.token_digest, session.id, now, session.finished_at)
            self.revocations.add(revocation)
            self.observer.revoked(session, revocation)
        self.revocations.prune(now, self.learner_token_grace_s)
        told = list(session.on_token_revoked.values())
        for notify in told:
            notify()
        return len(told)

    def revoke_recorded(
        self, session_id: str, token_digest: bytes, finished_at: float | None
    ) -> Revocation | None:
        """Refuse the learner token of a session not running here (its record); the
        revocation to record, or None when it is revoked already."""
        if self.revocations.revoked(token_digest):
            return None
        revocation = Revocation(token_digest, session_id, self._clock(), finished_at)
        self.revocations.add(revocation)
        return revocation

    def watch_learner_token(
        self, session: Session, on_revoked: Callable[[], None]
    ) -> Callable[[], None]:
        """Call ``on_revoked`` when the learner token is revoked; returns the unwatch."""
        watch_id = next(self._watch_ids)
        session.on_token_revoked[watch_id] = on_revoked
        return lambda: session.on_token_revoked.pop(watch_id, None) and None

    def recorded_token_in_force(self, finished_at: float | None, token_digest: bytes) -> bool:
        """Whether a recorded session's learner token (finished at ``finished_at``, None:
        interrupted or running elsewhere) is still in force: not revoked, and by the same
        grace."""
        if self.revocations.revoked(token_digest):
            return False
        return finished_at is None or self._clock() <= finished_at + self.learner_token_grace_s

    def learner_opens(self, session_id: str, token: str | None) -> bool:
        """Whether ``token`` is the learner token of session ``session_id``."""
        session = self._sessions.get(session_id)
        return session is not None and self.learner_may_open(session, token)

    # ---- inputs -----------------------------------------------------------------------

    def on_twin_change(self, twin: Twin) -> None:
        ids = self._by_kit.get(twin.kit)
        if not ids:
            return
        self._twins[twin.kit] = twin
        now = self._clock()
        view = twin_view(twin, now, self._kit_clocks.get(twin.kit))
        for session_id in tuple(ids):
            session = self._sessions[session_id]
            if not session.policy.finished:
                self._deliver(session, session.policy.update(view), now)
                self.observer.score(session, now)
                self._finish_if_done(session, now)

    def on_compressions(self, kit: KitRef, done: list[Compression]) -> None:
        """Compressions completed on ``kit``: each is sent on the session websocket of the
        kit's sessions, and the live ones (deepest point within ``LIVE_COMPRESSION_S`` of the
        service clock, device time mapped by the kit's clock) drive its CPR feedback; those
        of a replayed spool are history, not something the learner is doing now."""
        ids = self._by_kit.get(kit)
        if not ids:
            return
        now = self._clock()
        frames = [compression_frame(kit, c) for c in done]
        clock = self._kit_clocks.get(kit)
        offset = clock.offset if clock is not None else None
        live = [c for c in done if offset is None or now - (c.ts + offset) <= LIVE_COMPRESSION_S]
        for session_id in tuple(ids):
            session = self._sessions[session_id]
            for frame in frames:
                self._hub.publish(session_group(session.id), frame)
            if live and not session.policy.finished:
                self._deliver(session, session.policy.add_compressions(live, now), now)

    def on_kit_switch(
        self, kit: KitRef, switch: SwitchName, state: SwitchState, ts: float | None = None
    ) -> bool:
        """A switch event from a kit's ``input`` topic, ``ts`` its device time.

        An event more than ``STALE_SWITCH_S`` behind the service clock is a replay, not a
        press: it is counted (``stale_switch_events``) and logged, and False is returned.
        ``ts`` is put on the service clock with the kit's clock offset learnt from its
        telemetry (``KitClock``), so a kit whose clock runs behind still has live presses;
        the scan machine then times the press (hold, debounce) on that mapped time.
        """
        now = self._clock()
        clock = self._kit_clocks.get(kit)
        offset = clock.offset if clock is not None else None
        if ts is not None and offset is not None:
            ts += offset
        if ts is not None and now - ts > STALE_SWITCH_S:
            self.stale_switch_events += 1
            if time.monotonic() - self._stale_logged_at >= STALE_LOG_EVERY_S:
                self._stale_logged_at = time.monotonic()
                log.warning(
                    "kit %s: switch %s %s from %.1f s ago not applied (a replay, not a live "
                    "press); %d stale switch events so far",
                    kit, switch, state, now - ts, self.stale_switch_events,
                )  # fmt: skip
            return False
        # Timed on the kit's clock mapped onto the service's (never later than now), so a
        # press's length is the kit's, whatever the delivery delay (docs/switch-scanning.md).
        at = min(now, ts) if ts is not None and offset is not None else now
        for session_id in tuple(self._by_kit.get(kit, ())):
            self.on_switch(self._sessions[session_id], switch, state, at)
        return True

    def on_switch(
        self, session: Session, switch: SwitchName, state: SwitchState, now: float
    ) -> None:
        samples, interval = _rt_samples(session.scan), session.scan.interval_ms
        if session.press_timer is not None:
            session.press_timer.event(switch, state, now)  # raw, before any filtering
        outcome = session.scan.on_switch(switch, state, now)
        record: dict[str, Any] = {
            "switch": switch,
            "state": state,
            "outcome": outcome.kind,
            "highlighted": outcome.highlighted,
        }
        after = _rt_samples(session.scan)
        if after != samples and after:
            record["rt_ms"] = round(after[-1] * 1000, 1)
        self.observer.event(session, "switch", record, now)
        if session.scan.interval_ms != interval:
            self.observer.event(
                session, "scan.interval",
                {"interval_ms": session.scan.interval_ms, "source": "adaptive"}, now,
            )  # fmt: skip
        self._scan_outcome(session, outcome, now)

    def resume_scan(self, session: Session, now: float) -> bool:
        """The learner pressed the page's Start: a paused scan restarts at the first item,
        choosing nothing (its scan frame is published); a running scan is left alone.
        Returns whether it restarted. Nothing grows with repeats: only a paused scan is
        recorded, and it pauses only after ``loops`` full passes."""
        self._scan_outcome(session, session.scan.tick(now), now)  # a pause due is judged first
        outcome = session.scan.resume(now)
        if outcome.kind != "restarted":
            return False
        self.observer.event(session, "scan.restarted", {"source": "start"}, now)
        self._scan_outcome(session, outcome, now)
        return True

    def _scan_outcome(self, session: Session, outcome: ScanOutcome, now: float) -> None:
        if outcome.kind == "selected" and outcome.choice is not None:
            if session.calibration is not None:
                self._practice_trial(session, outcome, now)
            else:
                self.choose(session, outcome.choice.id, now)
        elif outcome.kind == "paused" and session.calibration is not None:
            self._practice_trial(session, outcome, now)  # the scan ended with no press
        if outcome.kind in _SCAN_CHANGES:
            self._publish_scan(session)

    def _practice_trial(self, session: Session, outcome: ScanOutcome, now: float) -> None:
        """Judge a practice press against its known target, learn the scan time from it,
        and go on to the next trial at the new scan time."""
        policy, calibration = session.policy, session.calibration
        assert isinstance(policy, PracticePolicy) and calibration is not None
        target = policy.target_index()
        if target is None:
            return
        chosen = None if outcome.choice is None else session.scan.choices.index(outcome.choice)
        trial = judge_trial(
            target=target,
            chosen=chosen,
            pressed_at=outcome.pressed_at,
            target_arrivals=session.scan.arrivals(target),
            loop_s=session.scan.loop_s(),
        )
        calibration.record(trial)
        if trial.kind == "correct" and outcome.pressed_at is not None and session.press_timer:
            session.press_timer.intended(outcome.pressed_at)
        session.scan.set_interval(calibration.interval_ms)
        self.observer.event(
            session, "scan.interval",
            {"interval_ms": calibration.interval_ms, "source": "practice", "trial": trial.kind,
             "target": target, "chosen": chosen},
            now,
        )  # fmt: skip
        session.log.append(
            {"type": "scan_time", "id": f"scan-{policy.trial}", "severity": "info",
             "text": calibration.explain(), "topic": "scan.time", "delivered_at": now,
             "phrases": phrases_json(calibration.explain_phrases()),
             "interval_ms": calibration.interval_ms, "trial": trial.kind}
        )  # fmt: skip
        if policy.trial >= policy.cfg.trials:
            seconds = calibration.interval_ms / 1000
            policy.closing_note = practice_text(
                session.scenario.practice, "scan_kept", s=f"{seconds:.2f}"
            )
        rt_ms = None if trial.rt_s is None else round(trial.rt_s * 1000)
        if outcome.choice is None:
            feedback = policy.no_press(now)
        else:
            feedback = policy.choose(outcome.choice.id, now, rt_ms=rt_ms)
        self._deliver(session, feedback, now)
        self.observer.score(session, now, force=True)
        self._finish_if_done(session, now)

    def choose(self, session: Session, choice_id: str, now: float) -> None:
        offered = any(c.id == READ_VITALS_ID for c in session.scan.choices)
        if choice_id == READ_VITALS_ID and offered:
            self.read_vitals(session, self._twins.get(session.kit))
            self._set_choices(session, session.scan.choices, now)
            self._publish_scan(session)
            self.observer.event(session, "choice", {"choice": choice_id, "read_vitals": True}, now)
            return
        step_id = session.policy.step_id
        step = next((s for s in session.scenario.steps if s.id == step_id), None)
        spec = next((c for c in step.choices if c.id == choice_id), None) if step else None
        feedback = session.policy.choose(choice_id, now)
        self.observer.event(
            session, "choice",
            {"step": step_id, "choice": choice_id, "label": spec.label if spec else None,
             "correct": spec.correct if spec else None,
             "accepted": session.policy.last_rejection is None,
             "reason": session.policy.last_rejection},
            now,
        )  # fmt: skip
        self._deliver(session, feedback, now)
        self.observer.score(session, now, force=True)
        self._finish_if_done(session, now)

    def advance(self, session: Session, now: float, *, record: bool = True) -> None:
        """The instructor moves the session on to the current step's next step."""
        if record:
            self.observer.event(
                session, "instructor", {"action": "advance", "step": session.policy.step_id}, now
            )
        self._deliver(session, session.policy.advance(now), now)
        self.observer.score(session, now, force=True)
        self._finish_if_done(session, now)

    def _finish_if_done(self, session: Session, now: float) -> None:
        if not session.policy.finished and session.finished_at is None:
            return
        if session.finished_at is None:
            session.finished_at = now
        self.revocations.finished(session.id, session.finished_at)
        if session.recorded_finished:
            return
        session.recorded_finished = True
        if session.calibration is not None and session.policy.finished:
            interval = session.calibration.interval_ms
            session.profile = replace(session.profile, scan_interval_ms=interval)
            if self._on_scan_learnt is not None:
                self._on_scan_learnt(session.learner_id, interval)
        self.observer.finished(session, now)
        if self.on_finished is not None:
            self.on_finished(session)
        self._lingering[session.id] = time.monotonic()
        self._evict(time.monotonic())

    def _evict(self, mono_now: float) -> None:
        """Finished sessions leave memory after LINGER_S (or past LINGER_MAX of them)."""
        while self._lingering:
            session_id, since = next(iter(self._lingering.items()))
            if mono_now - since < LINGER_S and len(self._lingering) <= LINGER_MAX:
                return
            del self._lingering[session_id]
            session = self._sessions.pop(session_id, None)
            if session is not None:
                ids = self._by_kit.get(session.kit)
                if ids is not None:
                    ids.discard(session_id)
                    if not ids:
                        del self._by_kit[session.kit]
            self.observer.forget(session_id)

    def stop(self, session: Session, now: float) -> None:
        """The instructor ends the session: steps left are skipped (and score nothing)."""
        self.observer.event(
            session, "instructor", {"action": "stop", "step": session.policy.step_id}, now
        )
        for _ in range(len(session.scenario.steps)):
            if session.policy.finished:
                break
            self.advance(session, now, record=False)
        self._set_choices(session, (), now)
        self._publish_scan(session)
        self._finish_if_done(session, now)

    def set_scan_interval(self, session: Session, interval_ms: int) -> None:
        """The learner's own choice of scan time; adaptation restarts from it."""
        session.scan.set_interval(interval_ms)
        session.profile = replace(session.profile, scan_interval_ms=interval_ms)
        self.observer.event(
            session,
            "scan.interval",
            {"interval_ms": interval_ms, "source": "learner"},
            self._clock(),
        )
        self._publish_scan(session)

    def frames_for_new_page(self, session: Session, now: float) -> list[Frame]:
        """What a page that (re)connects must see: the open prompt, and alerts still fresh."""
        frames: list[Frame] = []
        if session.prompt_frame is not None:
            frames.append(session.prompt_frame)
        # The newest alert of each topic still standing (its rule's condition holds now, and
        # no info resolved it since) and this fresh: a page that joins after the
        # first warnings hears each of them, not only the last (a simulated learner's page,
        # 3 s late, never got "Oxygen saturation is low" though the report listed it).
        newest: dict[str, dict[str, Any]] = {}
        for entry in session.log:
            if now - entry["delivered_at"] <= ALERT_REPLAY_S:
                newest[str(entry.get("topic") or entry["id"])] = entry
        holding, rule_topics = session.policy.standing_topics()
        standing = [
            {k: v for k, v in entry.items() if k != "delivered_at"}
            for entry in sorted(newest.values(), key=lambda e: e["delivered_at"])
            if entry["severity"] != "info"
            and (entry.get("topic") in holding or entry.get("topic") not in rule_topics)
            and (session.prompt_frame is None or entry["id"] != session.prompt_frame["id"])
        ]
        frames.extend(standing[-ALERT_REPLAY_MAX:])
        frames.append(
            {
                "type": "scan",
                "session_id": session.id,
                "lab": session.kit.lab,
                "kit": session.kit.kit,
                **scan_block(session),
            }
        )
        return frames

    def read_vitals(self, session: Session, twin: Twin | None) -> SpeechFrame | None:
        """Speak the kit's vitals to the session's pages: a ``speech`` frame (its audio at
        the learner's speech rate through the session's audio URLs); None (nothing sent)
        when the last read was under READ_VITALS_EVERY_S ago."""
        now = self._clock()
        if now - session.vitals_read_at < READ_VITALS_EVERY_S:
            return None
        session.vitals_read_at = now
        values = {n: e.value for n, e in twin.reported.items()} if twin is not None else {}
        lang = language(session.scenario.lang)
        text = vitals_speech(values, SCENARIO_VITALS.get(session.scenario.id, ()), lang.tag)
        profile = session.profile
        audio_url = None
        if profile.speech:  # in the learner's language and voice, units said in words
            request = SpeechRequest(
                text_for_speech(text, lang.tag), profile.speech_rate_wpm, lang.voice
            )
            audio_url = f"{session.audio_base}/{cache_key(request)}.wav"
            self._remember_speech(session, audio_url, request)
        frame: SpeechFrame = {
            "type": "speech",
            "session_id": session.id,
            "topic": "vitals.read",
            "text": text,
            "speech": {
                "text": text,
                "audio_url": audio_url,
                "rate_wpm": profile.speech_rate_wpm,
                "enabled": profile.speech,
            },
        }
        self._hub.publish(session_group(session.id), frame)
        return frame

    def tick(self, now: float) -> float | None:
        """Advance scanning; return when to tick next (None: nothing scheduled)."""
        soonest: float | None = None
        self._evict(time.monotonic())
        for session in tuple(self._sessions.values()):
            self._scan_outcome(session, session.scan.tick(now), now)  # moves, dwell choices
            deadline = session.scan.next_deadline()
            if deadline is not None and (soonest is None or deadline < soonest):
                soonest = deadline
        return soonest

    # ---- output -----------------------------------------------------------------------

    def _deliver(self, session: Session, feedback: list[Feedback], now: float) -> None:
        with_monitor = session.scenario.id in SCENARIO_VITALS
        for given in feedback:
            item = given
            if item.choices and with_monitor:
                read = read_vitals_choice(session.scenario.lang)
                item = replace(item, choices=(*item.choices, read))
            if item.choices:
                self._set_choices(session, item.choices, now)
            frame, speech = render_feedback(
                item, session.profile, scan_block(session), session.audio_base
            )
            if item.choices and session.scan_audio is not None:  # auditory scanning
                for doc, url in zip(
                    frame["choices"], session.scan_audio.choice_urls(), strict=True
                ):
                    doc["audio_url"] = url
            frame["session_id"] = session.id
            frame["step"] = session.policy.step_id
            frame["finished"] = session.policy.finished
            audio_url = frame["speech"]["audio_url"]
            if speech is not None and audio_url is not None:
                self._remember_speech(session, audio_url, speech)
            if item.choices:
                session.prompt_frame = frame
            session.log.append({**frame, "delivered_at": now})
            self.observer.event(
                session, "feedback",
                {"id": item.id, "severity": item.severity, "topic": item.topic, "text": item.text,
                 "choices": [{"id": c.id, "label": c.label} for c in item.choices]},
                now,
            )  # fmt: skip
            self._hub.publish(session_group(session.id), frame)
            self._hub.publish(
                lab_group(session.kit.lab),
                {
                    **frame,
                    "lab": session.kit.lab,
                    "kit": session.kit.kit,
                    "learner_id": session.learner_id,
                },
            )

    def _set_choices(self, session: Session, choices: Sequence[Choice], now: float) -> None:
        session.scan.set_choices(choices, now)
        clips = scan_audio.prepare(session, self._remember_speech)
        if clips and self.on_clips is not None:
            self.on_clips(session, clips)  # the runtime renders them ahead

    def _publish_scan(self, session: Session) -> None:
        if self.on_scan_changed is not None:
            self.on_scan_changed()
        self._hub.publish(
            session_group(session.id),
            {
                "type": "scan",
                "session_id": session.id,
                "lab": session.kit.lab,
                "kit": session.kit.kit,
                **scan_block(session),
                "explained": session.scan_explained(),
            },
        )

    def _remember_speech(self, session: Session, url: str, request: SpeechRequest) -> None:
        key = url.rsplit("/", 1)[-1].removesuffix(".wav")
        session.speech[key] = request
        session.speech.move_to_end(key)
        while len(session.speech) > MAX_SPEECH_PER_SESSION:
            session.speech.popitem(last=False)
