"""Feedback policy: one session's scenario steps and rules turned into the feedback to deliver now.

Pure: nothing here reads a clock or does I/O. The caller passes times on ONE clock - ``now``,
``TwinView.now`` and ``TwinView.value_ts`` - and freshness (``stale_after_s``,
``missing_for_s``) and step times are judged on it. A session passes the service clock with
each value's device time mapped onto it (``twin_service/sessions/kit_clock.py``: ``KitClock``), so a
kit whose clock is off by seconds is judged as fresh as one whose clock is right. Rules are
compiled once into small stateful evaluators, so ``update`` is a few dict look-ups and
comparisons per rule.

A step's rules may wait for its prompt (``when.after_prompt_s``): they stay quiet until the
prompt has been said in full and ``after_prompt_s`` more seconds have passed. The prompt
takes its spoken words (``text_for_speech`` of the step's ``speech``) at the learner's
``speech_rate_wpm``; with speech off (``speech_rate_wpm=None``) the learner reads the
displayed prompt, counted at ``READING_RATE_WPM``.

Delivery policy (what ``update`` returns):

* hysteresis per threshold (enter/exit values from the scenario) and an optional ``for_s``
  hold; values older than ``stale_after_s`` count as missing; nothing is judged while the
  kit is offline;
* a rule speaks when it becomes active, then again every ``repeat_s`` if it has one;
* a topic is not repeated within ``min_repeat_s`` unless the severity rose;
* after a message, the next of no higher severity waits until it has been said: its
  spoken words at the learner's ``speech_rate_wpm`` (or its displayed words at
  ``READING_RATE_WPM`` with speech off) plus ``PAUSE_AFTER_S``, at least ``spoken_gap_s``;
  a more severe message does not wait (the page lets a critical one pre-empt);
* a waiting message is sent only if its rule is still active when its turn comes: a
  correction that is no longer true is never sent;
* while a rule of higher severity is active, lower ones wait (info waits for warnings and
  criticals, warnings wait for criticals); waiting messages are retried on later updates;
* when an announced rule has stayed clear for ``resolve_hold_s`` its ``resolved`` text is
  said (info); if it comes back before that, it never left (no new message); a resolved
  message not deliverable within ``resolved_ttl_s`` is dropped. Resolved messages obey the
  spoken gap but not the topic limit;
* at most one rule message per update: the highest severity, then (for criticals) the one
  that started most recently, then the rule priority. A step change adds the new prompt;
  the list is ordered by severity, then priority.

Choices: a step with ``judge`` is judged against the latest view (``accessibility.judge``).
With ``undo_window_s``, each choice that leaves the scenario running is followed by an
``undo`` choice (first in the list) for that long: choosing it puts the step, its open
choices and the score back as they were - a slip of the switch ("that was not what I
meant") is a motor error, kept out of the score and counted as ``undone``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from accessibility.compression_score import CompressionScorer
from accessibility.judge import judge_choice
from accessibility.languages import language, spoken_words
from accessibility.model import (
    DEFAULT_SPEECH_RATE_WPM,
    SEVERITY_RANK,
    Choice,
    Feedback,
    TwinView,
)
from accessibility.recent_compressions import RecentCompressions
from accessibility.scenario import Check, ChoiceSpec, Condition, Rule, Scenario, Step, When
from accessibility.scoring import CprScoring, DecisionScorer, DecisionScoring, ScoreReport
from accessibility.signals.compressions import Compression
from accessibility.speech import text_for_speech

_MAIN, _RESOLVED = 1, 2
# Reading a prompt with speech off is counted at the default speech rate (docs/domain.md
# "Speech": ~150 wpm); adults usually read faster, so this errs on the side of more time.
READING_RATE_WPM = DEFAULT_SPEECH_RATE_WPM
PAUSE_AFTER_S = 1.0  # silence after one message before the next of no higher severity


def utterance_seconds(
    text: str, speech: str, speech_rate_wpm: float | None, lang: str = "en"
) -> float:
    """How long a message takes to say (its spoken words at the learner's rate, at the
    pace of the language's voice) or, with speech off, to read (its displayed words at
    ``READING_RATE_WPM``). Words need no spaces between them: ``spoken_words`` counts
    Chinese characters."""
    if speech_rate_wpm is None:
        return spoken_words(text) * 60.0 / READING_RATE_WPM
    pace = language(lang).pace
    return spoken_words(text_for_speech(speech, lang)) * pace * 60.0 / speech_rate_wpm


UNDO = Choice("undo", "Undo - that was not what I meant")


def prompt_seconds(step: Step, speech_rate_wpm: float | None, lang: str = "en") -> float:
    """How long the step's prompt takes to say (speech on) or to read (speech off)."""
    return utterance_seconds(step.prompt, step.speech, speech_rate_wpm, lang)


class _Check:
    __slots__ = ("below", "enter", "exit", "missing", "name", "on", "seen", "seen_t0")

    def __init__(self, c: Check) -> None:
        self.name, self.enter, self.exit = c.value, c.enter, c.exit
        self.below, self.missing = c.op == "below", c.op == "missing"
        # seen/unseen: None for the other ops; else the answer once the value was seen.
        self.seen = {"seen": True, "unseen": False}.get(c.op)
        self.on = False
        self.seen_t0: float | None = None  # the step start the latch ``on`` belongs to

    def reset(self) -> None:
        self.on = False
        self.seen_t0 = None

    def __call__(self, view: TwinView, t0: float, stale: float) -> bool:
        v = view.values.get(self.name)
        ts = view.value_ts.get(self.name, view.now) if v is not None else t0
        if self.missing:  # a value from before the step began counts from the step start
            return view.now - max(ts, t0) >= self.enter
        if self.seen is not None:  # latched per step: seen fresh and above since it began
            if self.seen_t0 != t0:
                self.seen_t0, self.on = t0, False
            if not self.on and v is not None and t0 <= ts and view.now - ts <= stale:
                self.on = v > self.enter
            return self.on == self.seen
        if v is None or view.now - ts > stale:
            self.on = False
        elif self.below:
            self.on = v <= self.exit if self.on else v < self.enter
        else:
            self.on = v >= self.exit if self.on else v > self.enter
        return self.on


class _Group:
    __slots__ = ("all", "items")

    def __init__(self, all_: bool, items: list[_Check | _Group]) -> None:
        self.all, self.items = all_, items

    def reset(self) -> None:
        for c in self.items:
            c.reset()

    def __call__(self, view: TwinView, t0: float, stale: float) -> bool:
        results = [c(view, t0, stale) for c in self.items]  # all of them: hysteresis state
        return all(results) if self.all else any(results)


def _compile(c: Condition) -> _Check | _Group:
    if isinstance(c, Check):
        return _Check(c)
    return _Group(c.mode == "all", [_compile(x) for x in c.items])


class _Timed:
    __slots__ = ("after_prompt", "cond", "for_s", "since")

    def __init__(self, when: When) -> None:
        self.cond, self.for_s = _compile(when.cond), when.for_s
        self.after_prompt = when.after_prompt_s
        self.since: float | None = None

    def reset(self) -> None:
        self.cond.reset()
        self.since = None

    def held(self, view: TwinView, t0: float, stale: float, prompt_end: float) -> bool:
        if not self.cond(view, t0, stale):
            self.since = None
            return False
        if self.since is None:
            self.since = view.now
        if self.after_prompt is not None and view.now < prompt_end + self.after_prompt:
            return False
        return view.now - self.since >= self.for_s


class _RuleRun:
    __slots__ = (
        "active",
        "announced",
        "entered_at",
        "exit_since",
        "last_sent",
        "rank",
        "rule",
        "timed",
    )

    def __init__(self, rule: Rule) -> None:
        self.rule, self.rank, self.timed = rule, SEVERITY_RANK[rule.severity], _Timed(rule.when)
        self.reset()

    def reset(self) -> None:
        self.timed.reset()
        self.active = self.announced = False
        self.entered_at = self.last_sent = 0.0
        self.exit_since: float | None = None

    def evaluate(
        self, view: TwinView, t0: float, stale: float, hold: float, prompt_end: float
    ) -> None:
        on, now = self.timed.held(view, t0, stale, prompt_end), view.now
        if on and not self.active:
            if self.exit_since is not None and now - self.exit_since >= hold:
                self.announced = False  # a new episode, not a flap
            self.active, self.entered_at, self.exit_since = True, now, None
        elif not on and self.active:
            self.active, self.exit_since = False, now

    def candidate(self, now: float, hold: float, ttl: float) -> int | None:
        if self.active:
            rep = self.rule.repeat_s
            if not self.announced or (rep is not None and now - self.last_sent >= rep):
                return _MAIN
            return None
        if self.exit_since is None or now - self.exit_since < hold:
            return None
        if self.announced and self.rule.resolved and now - self.exit_since <= hold + ttl:
            return _RESOLVED
        self.announced, self.exit_since = False, None
        return None


class FeedbackPolicy:
    """Steps, choices, rules and scoring of one session of one scenario."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        min_repeat_s: float = 8.0,
        spoken_gap_s: float = 3.0,
        stale_after_s: float = 5.0,
        resolve_hold_s: float = 2.0,
        resolved_ttl_s: float = 5.0,
        speech_rate_wpm: float | None = DEFAULT_SPEECH_RATE_WPM,
        undo_window_s: float | None = None,
    ) -> None:
        """``speech_rate_wpm``: the learner's speech rate, None when speech is off (it
        times the step prompts that ``after_prompt_s`` waits for)."""
        self.scenario = scenario
        self._min_repeat, self._gap, self._stale = min_repeat_s, spoken_gap_s, stale_after_s
        self._hold, self._ttl = resolve_hold_s, resolved_ttl_s
        self._steps = {s.id: s for s in scenario.steps}
        runs = [_RuleRun(r) for r in scenario.rules]
        self._runs = {s.id: [r for r in runs if s.id in r.rule.steps] for s in scenario.steps}
        self._rule_topics = frozenset(r.rule.topic for r in runs)
        self._advance = {s.id: _Timed(s.advance_when) for s in scenario.steps if s.advance_when}
        self._step: Step | None = None
        self._t0 = 0.0
        self._prompt_s = {
            s.id: prompt_seconds(s, speech_rate_wpm, scenario.lang) for s in scenario.steps
        }
        self._prompt_end = 0.0  # when the current step's prompt has been said
        self._remaining: tuple[ChoiceSpec, ...] = ()
        self._prompt: Feedback | None = None
        self._counter = 0
        self._topic_last: dict[str, tuple[float, int]] = {}  # topic -> (ts, rank) of last rule
        self._spoken = (float("-inf"), -1)  # (said until, rank) of the last message
        self._wpm = speech_rate_wpm
        self._recent = RecentCompressions()
        self._last_view: TwinView | None = None
        self.last_rejection: str | None = None
        self._cpr: CompressionScorer | None = None
        self._decisions: DecisionScorer | None = None
        self._alarm: str | None = None
        self._view: TwinView | None = None  # the latest, for choices judged against the twin
        self._undo_window = undo_window_s
        # (until, step, t0, remaining, prompt_end, (step, choice) recorded or None)
        self._undo: tuple[float, Step, float, tuple[ChoiceSpec, ...], float,
                          tuple[str, str] | None] | None = None  # fmt: skip
        self.undone = 0
        if isinstance(sc := scenario.scoring, CprScoring):
            self._cpr = CompressionScorer(sc)
        elif isinstance(sc, DecisionScoring):
            self._decisions = DecisionScorer(sc, scenario.decision_steps)
            self._alarm = sc.alarm_rule

    @property
    def step_id(self) -> str | None:
        return self._step.id if self._step else None

    @property
    def finished(self) -> bool:
        return self._step is not None and self._step.terminal

    def current_prompt(self) -> Feedback | None:
        """The current step's prompt with the choices still open (for a reconnecting page)."""
        return self._prompt

    def standing_topics(self) -> tuple[set[str], frozenset[str]]:
        """(topics of the current step's rules whose condition holds now, topics of all the
        scenario's rules): what a page joining late may still be told."""
        runs = self._runs.get(self._step.id, []) if self._step is not None else []
        return {run.rule.topic for run in runs if run.active}, self._rule_topics

    def start(self, now: float) -> list[Feedback]:
        if self._step is not None:
            return [self._prompt] if self._prompt else []
        return self._enter(self.scenario.steps[0], now)

    def advance(self, now: float) -> list[Feedback]:
        """Move on to the step's ``next`` (the instructor stops the step early)."""
        step = self._step
        if step is None or step.terminal or step.next is None:
            return []
        return self._enter(self._steps[step.next], now)

    def score(self) -> ScoreReport:
        if self._cpr is not None:
            return self._cpr.report(self.scenario.id)
        assert self._decisions is not None
        report = self._decisions.report(self.scenario.id)
        return replace(report, metrics={**report.metrics, "undone": self.undone})

    def choose(self, choice_id: str, now: float) -> list[Feedback]:
        """Apply a learner's choice; an unknown id is ignored and ``last_rejection`` says why."""
        step = self._step
        if choice_id == UNDO.id and self._undo is not None and now <= self._undo[0]:
            return self._take_back(now)
        spec = next((c for c in self._remaining if c.id == choice_id), None)
        if step is None or step.terminal or spec is None:
            where = "no step is open" if step is None or step.terminal else f"step {step.id!r}"
            self.last_rejection = f"choice {choice_id!r} is not available ({where})"
            return []
        self.last_rejection = None
        correct, explain = judge_choice(
            step, spec, self._view, self._stale, self.scenario.news2, self.scenario.lang
        )
        recorded = None
        if self._decisions is not None and self._decisions.record(step.id, spec.id, correct, now):
            recorded = (step.id, spec.id)
        undo = (now + (self._undo_window or 0.0), step, self._t0, self._remaining,
                self._prompt_end, recorded)  # fmt: skip
        self._undo = None
        out: list[Feedback] = []
        if explain or not correct:
            text = explain or self.scenario.try_again
            icon = "check" if correct else "cross"
            out.append(
                Feedback(self._new_id("explain"), "explain", "info", text, text, icon, ts=now)
            )
        target = spec.next or (step.next if correct else None)
        if target is not None:
            out += self._enter(self._steps[target], now)
        elif step.judge is None:  # a judged step keeps every choice: the answer can change
            self._remaining = tuple(c for c in self._remaining if c.id != spec.id)
        if self._undo_window and not self.finished:
            self._undo = undo
        self._prompt = self._make_prompt(now)
        return [*[f for f in out if f.topic != "prompt"], self._prompt]

    def _take_back(self, now: float) -> list[Feedback]:
        """Undo the last choice: step, open choices and score as they were before it."""
        assert self._undo is not None
        _, step, t0, remaining, prompt_end, recorded = self._undo
        self._undo = None
        if recorded is not None and self._decisions is not None:
            self._decisions.withdraw(*recorded)
        self._step, self._t0, self._remaining, self._prompt_end = step, t0, remaining, prompt_end
        self.undone += 1
        self.last_rejection = None
        text = self.scenario.undone
        note = Feedback(self._new_id("undo"), "explain", "info", text, text, "undo", ts=now)
        self._prompt = self._make_prompt(now)
        return [note, self._prompt]

    def update(self, view: TwinView) -> list[Feedback]:
        """Evaluate the active rules on ``view``; return only the new feedback to deliver now."""
        self._view = view
        step = self._step
        if step is None or step.terminal:
            return []
        now, out = view.now, []
        if self._undo is not None and now > self._undo[0]:
            self._undo = None  # the window closed: the same prompt without the undo choice
            self._prompt = self._make_prompt(now)
            out.append(self._prompt)
        adv = self._advance.get(step.id)
        due = step.duration_s is not None and now - self._t0 >= step.duration_s
        held = adv is not None and adv.held(view, self._t0, self._stale, self._prompt_end)
        if (due or held) and step.next:
            out = self._enter(self._steps[step.next], now)
            if self.finished:
                return out
        if self._cpr is not None and self.step_id == self._cpr.cfg.step:
            self._cpr.observe(now)
        self._last_view = view
        view = self._with_recent(view)
        if view.online and (fb := self._evaluate(view)) is not None:
            out.append(fb)
            out.sort(key=lambda f: (-SEVERITY_RANK[f.severity], -f.priority))
        return out

    def add_compressions(
        self, done: Sequence[Compression], now: float, at: Sequence[float] | None = None
    ) -> list[Feedback]:
        """Compressions completed on the session's kit; return the feedback due now.

        ``now`` is the service time; ``at`` when each was seen complete on the same clock
        (default ``now``: "no compression for 4 s" counts from there). They are scored in
        the scored step and drive the rules through the ``cpr_recent_*`` values
        (``accessibility.recent_compressions``).
        """
        step = self._step
        if step is None or step.terminal or not done:
            return []
        times = list(at) if at is not None else [now] * len(done)
        scored = self._cpr is not None and step.id == self._cpr.cfg.step
        for c, t in zip(done, times, strict=True):
            self._recent.add(c, t)
            if scored and self._cpr is not None:
                self._cpr.add(c, now)
        base = self._last_view
        view = TwinView(now=now) if base is None else replace(base, now=now)
        fb = self._evaluate(self._with_recent(view)) if view.online else None
        return [] if fb is None else [fb]

    def _with_recent(self, view: TwinView) -> TwinView:
        """``view`` with the values of the last few compressions."""
        recent, ts = self._recent.values, self._recent.ts
        if not recent or ts is None:
            return view
        return replace(
            view,
            values={**view.values, **recent},
            value_ts={**view.value_ts, **dict.fromkeys(recent, ts)},
        )

    def _evaluate(self, view: TwinView) -> Feedback | None:
        now, runs, top = view.now, self._runs[self.step_id or ""], -1
        for run in runs:
            run.evaluate(view, self._t0, self._stale, self._hold, self._prompt_end)
            if run.active:
                top = max(top, run.rank)
                if run.rule.id == self._alarm and self._decisions is not None:
                    self._decisions.alarm(now)
        best: tuple[tuple[int, float, int], _RuleRun, int] | None = None
        for run in runs:
            kind = run.candidate(now, self._hold, self._ttl)
            if kind is None:
                continue
            rank = run.rank if kind == _MAIN else 0
            last = self._topic_last.get(run.rule.topic)
            if rank < top or (rank <= self._spoken[1] and now < self._spoken[0]):
                continue
            if kind == _MAIN and last and rank <= last[1] and now - last[0] < self._min_repeat:
                continue
            key = (rank, run.entered_at if rank == 2 else 0.0, run.rule.priority)
            if best is None or key > best[0]:
                best = (key, run, kind)
        return None if best is None else self._deliver(best[1], best[2], now)

    def _deliver(self, run: _RuleRun, kind: int, now: float) -> Feedback:
        r = run.rule
        if kind == _MAIN:
            run.announced, run.last_sent = True, now
            self._topic_last[r.topic] = (now, run.rank)
            self._spoken = (now + self._pace(r.text, r.speech), run.rank)
            return Feedback(self._new_id(r.topic), r.topic, r.severity, r.text, r.speech, r.icon,
                            r.priority, ts=now)  # fmt: skip
        run.announced, run.exit_since = False, None
        text = r.resolved or ""
        self._spoken = (now + self._pace(text, text), 0)
        return Feedback(
            self._new_id(r.topic), r.topic, "info", text, text, "check", r.priority, ts=now
        )

    def _enter(self, step: Step, now: float) -> list[Feedback]:
        staying = self._runs[step.id]
        for run in self._runs[self._step.id] if self._step else []:
            if run not in staying:
                run.reset()
        self._step, self._t0, self._remaining = step, now, step.choices
        self._prompt_end = now + self._prompt_s[step.id]
        if (adv := self._advance.get(step.id)) is not None:
            adv.reset()
        self._prompt = self._make_prompt(now)
        self._spoken = (self._prompt_end, 0)  # rule infos wait until the prompt has been said
        self._recent.clear()
        return [self._prompt]

    def _pace(self, text: str, speech: str) -> float:
        """Seconds until the next message of no higher severity: the utterance's length at
        the learner's rate, then a pause, and never less than ``spoken_gap_s``."""
        return max(
            self._gap,
            utterance_seconds(text, speech, self._wpm, self.scenario.lang) + PAUSE_AFTER_S,
        )

    def _make_prompt(self, now: float) -> Feedback:
        step = self._step
        assert step is not None
        choices = tuple(Choice(c.id, c.label) for c in self._remaining)
        if self._undo is not None:
            choices = (Choice(UNDO.id, self.scenario.undo_label), *choices)
        fid = self._new_id("prompt")
        return Feedback(fid, "prompt", "info", step.prompt, step.speech, step.icon, 0, choices, now)

    def _new_id(self, topic: str) -> str:
        self._counter += 1
        return f"{self.step_id}-{topic}-{self._counter}"
