"""Scenarios: declarative YAML files in ``accessibility/scenarios`` and their typed model.

Schema (strict: unknown fields, wrong types and dangling references fail at load with a
``ScenarioError`` naming the file and the field, e.g. ``cpr.yaml: steps[1].choices[0].next``):

* ``id`` (= file name), ``title``, ``summary``; ``desired``: flat mapping of scalars pushed
  to the kit when the scenario starts, with ``scenario`` equal to ``id``.
* ``steps`` (ordered): ``id``, ``prompt``, optional ``speech``, ``icon``, ``choices`` (``id``,
  ``label``, ``correct``, optional ``explain``, ``next``), ``duration_s``, ``advance_when``
  (a condition plus ``for_s``), ``next`` (default: the following step). A step with no
  choices, duration or ``advance_when`` is terminal: reaching it finishes the scenario.
* ``rules``: ``id``, ``steps`` (where active), ``when`` (condition plus optional ``for_s``
  and ``after_prompt_s``),
  ``severity``, ``priority``, ``topic``, ``text``, optional ``speech``, ``icon``,
  ``resolved`` (info text when it clears), ``repeat_s`` (re-announce while active).
* Conditions, never eval'd: ``{value: v, below: x, exit_above: y}``, ``{value: v, above: x,
  exit_below: y}`` (exit defaults to the entry threshold), ``{value: v, missing_for_s: s}``,
  ``{value: v, seen_above: x}`` (true once ``v`` has been fresh and above ``x`` since the
  step began: "the learner has started"), ``{value: v, not_seen_above: x}`` (its opposite:
  "nothing yet"), ``{any: [...]}``, ``{all: [...]}``.
* ``when`` also takes ``for_s`` (the condition must hold this long) and ``after_prompt_s``
  (nothing fires until the step's prompt has been said in full - its spoken words at the
  learner's speech rate, see ``FeedbackPolicy`` - and then ``after_prompt_s`` more seconds:
  time to act on an instruction before being corrected for not acting on it).
* ``scoring``: ``{kind: cpr, step, rate, depth_mm, ccf_target_pct, weights}``,
  ``{kind: decisions, alarm_rule, recognise_step}`` or ``{kind: practice, step, trials,
  choices}`` (``accessibility.practice``: the step's choices are the pool of items).
* A step with ``judge: news2`` is judged against the twin when the choice is made: each
  choice names a ``sign`` (a NEWS2 parameter, or ``none``) instead of ``correct``, and is
  right when that sign has the highest NEWS2 sub-score at that moment (``none``: when
  every sign scores 0). ``rules`` may be empty. ``observed: {consciousness, oxygen}``
  gives NEWS2's two bedside parameters (``accessibility.news2.OBSERVED``) for such a step;
  a choice may name them as its ``sign`` only then.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, NoReturn, TypeAlias

import yaml

from accessibility.model import Severity
from accessibility.news2 import NEWS2_SIGNS, NEWS2_TEXTS, OBSERVED
from accessibility.practice import PRACTICE_TEXTS, PracticeScoring
from accessibility.scoring import WEIGHTS, CprScoring, DecisionScoring
from accesstwin_contract.quantities import KNOWN_NAMES

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
TRY_AGAIN = "Not quite - try again."
UNDO_LABEL = "Undo - that was not what I meant"
UNDONE = "Undone - choose again."  # said when the undo choice took the last answer back
# Reported sensors and derived values a condition may name (the values of the last few
# compressions a session adds, accessibility/recent_compressions, are in the table too).
KNOWN_VALUES = KNOWN_NAMES
Op: TypeAlias = Literal["below", "above", "missing", "seen", "unseen"]
_SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
# Kind of every scalar field, whatever object it appears in (structural fields are absent).
_KINDS: dict[str, str] = {
    **dict.fromkeys(("title", "summary", "prompt", "speech", "icon", "label"), "text"),
    **dict.fromkeys(("explain", "topic", "text", "resolved"), "text"),
    **dict.fromkeys(("id", "next", "step", "alarm_rule", "recognise_step"), "ident"),
    **dict.fromkeys(("duration_s", "repeat_s", "missing_for_s", "ccf_target_pct"), "positive"),
    **dict.fromkeys(("below", "above", "exit_above", "exit_below"), "number"),
    **dict.fromkeys(("seen_above", "not_seen_above"), "number"),
    **dict.fromkeys(("for_s", "after_prompt_s"), "non-negative"),
    **{"correct": "bool", "priority": "int", "severity": "severity"},
    **{"trials": "count", "choices_shown": "count", "judge": "judge", "sign": "sign"},
    "value": "value",
}
JUDGES = ("news2",)
NO_SIGN = "none"  # a judged choice meaning "no sign is abnormal now"

_RULE_OPT = "priority speech icon resolved repeat_s"
_COND = "value below above exit_above exit_below missing_for_s seen_above not_seen_above any all"
_OPS = ("below", "above", "missing_for_s", "seen_above", "not_seen_above")
_OP_OF: dict[str, Op] = {
    "below": "below",
    "above": "above",
    "missing_for_s": "missing",
    "seen_above": "seen",
    "not_seen_above": "unseen",
}


class ScenarioError(ValueError):
    """A scenario file is malformed; ``source`` is the file, ``field`` the path inside it."""

    def __init__(self, source: str, field: str, message: str) -> None:
        super().__init__(f"{source}: {field}: {message}")
        self.source = source
        self.field = field


class UnknownScenarioError(KeyError):
    """No packaged scenario has this id."""


@dataclass(frozen=True, slots=True)
class Check:
    """``value`` below/above ``enter`` (hysteresis: stays true until it passes ``exit``), or
    (op ``missing``) absent or older than ``enter`` seconds, or (op ``seen``/``unseen``) has
    / has not been fresh and above ``enter`` since the step began."""

    value: str
    op: Op
    enter: float
    exit: float


@dataclass(frozen=True, slots=True)
class Group:
    mode: Literal["any", "all"]
    items: tuple[Condition, ...]


Condition: TypeAlias = Check | Group


@dataclass(frozen=True, slots=True)
class When:
    cond: Condition
    for_s: float = 0.0  # the condition must hold this long
    after_prompt_s: float | None = None  # quiet until the prompt was said, and this long more


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    id: str
    label: str
    correct: bool
    explain: str | None = None
    next: str | None = None
    sign: str | None = None  # in a judged step: the NEWS2 parameter this choice names


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    prompt: str
    speech: str
    icon: str
    choices: tuple[ChoiceSpec, ...] = ()
    duration_s: float | None = None
    advance_when: When | None = None
    next: str | None = None  # where duration/advance_when/correct choices lead
    judge: str | None = None  # "news2": choices are judged against the twin when made
    # NEWS2 parameters observed at the bedside, not measured (news2.OBSERVED), as (name, value)
    observed: tuple[tuple[str, str], ...] = ()

    @property
    def terminal(self) -> bool:
        return not self.choices and self.duration_s is None and self.advance_when is None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    steps: frozenset[str]
    when: When
    severity: Severity
    priority: int
    topic: str
    text: str
    speech: str
    icon: str
    resolved: str | None = None
    repeat_s: float | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    title: str
    summary: str
    desired: Mapping[str, str | int | float | bool]
    steps: tuple[Step, ...]
    rules: tuple[Rule, ...]
    scoring: CprScoring | DecisionScoring | PracticeScoring
    source: str = "<string>"
    lang: str = "en"  # the language of its texts (accessibility/scenario_i18n.py)
    try_again: str = TRY_AGAIN  # said after a wrong choice that has no ``explain``
    undo_label: str = UNDO_LABEL  # the choice that takes the last answer back
    undone: str = UNDONE  # said once it has
    news2: Mapping[str, str] = field(default_factory=lambda: NEWS2_TEXTS)  # judge.py words
    practice: Mapping[str, str] = field(default_factory=lambda: PRACTICE_TEXTS)  # practice.py

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def decision_steps(self) -> tuple[str, ...]:
        """Steps with at least one wrong choice: the ones scored as decisions."""
        return tuple(s.id for s in self.steps if any(not c.correct for c in s.choices))


class _Reader:
    def __init__(self, source: str) -> None:
        self.src = source

    def fail(self, where: str, msg: str) -> NoReturn:
        raise ScenarioError(self.src, where, msg)

    def check(self, where: str, kind: str, v: Any) -> Any:
        ok = {
            "text": isinstance(v, str) and bool(v.strip()),
            "ident": isinstance(v, str) and bool(_ID.match(v)),
            "bool": isinstance(v, bool),
            "int": isinstance(v, int) and not isinstance(v, bool),
            "severity": v in _SEVERITIES,
            "value": isinstance(v, str) and v in KNOWN_VALUES,
            "count": isinstance(v, int) and not isinstance(v, bool) and v >= 1,
            "judge": v in JUDGES,
            "sign": v in (*NEWS2_SIGNS, NO_SIGN),
        }.get(kind)
        if ok is None:  # a number
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            ok = ok and (kind == "number" or v > 0 or (kind == "non-negative" and v == 0))
            if ok:
                return float(v)
        if not ok:
            what = {
                "ident": "an identifier [A-Za-z0-9_-]{1,64}",
                "value": "a known value name",
                "count": "a whole number >= 1",
                "judge": f"one of {', '.join(JUDGES)}",
                "sign": f"one of {', '.join((*NEWS2_SIGNS, NO_SIGN))}",
            }
            self.fail(where, f"must be {what.get(kind, kind)}, got {v!r}")
        return v.strip() if kind == "text" else v

    def fields(self, where: str, obj: object, req: str, opt: str = "") -> dict[str, Any]:
        """Check a mapping's keys, convert its scalar fields; structural ones are left raw."""
        if not isinstance(obj, dict):
            self.fail(where or "<document>", f"must be a mapping, got {type(obj).__name__}")
        pre, allowed = f"{where}." if where else "", req.split() + opt.split()
        for key in obj:
            if key not in allowed:
                self.fail(f"{pre}{key}", f"unknown field (allowed: {', '.join(allowed)})")
        for key in req.split():
            if key not in obj:
                self.fail(f"{pre}{key}", "is required")
        return {
            k: self.check(f"{pre}{k}", _KINDS[k], v) if k in _KINDS else v for k, v in obj.items()
        }

    def seq(self, where: str, v: object) -> list[Any]:
        if not isinstance(v, list) or not v:
            self.fail(where, "must be a non-empty list")
        return v

    def pair(self, where: str, v: object) -> tuple[float, float]:
        items = self.seq(where, v)
        lo, hi = (self.check(f"{where}[{i}]", "number", x) for i, x in enumerate(items[:2]))
        if len(items) != 2 or lo > hi:
            self.fail(where, "must be [low, high] with low <= high")
        return lo, hi

    def cond(self, where: str, obj: object) -> Condition:
        m = self.fields(where, obj, "", _COND)
        for key in ("any", "all"):
            if key in m:
                if len(m) != 1:
                    self.fail(where, f"'{key}' cannot be combined with other fields")
                items = self.seq(f"{where}.{key}", m[key])
                subs = tuple(self.cond(f"{where}.{key}[{i}]", x) for i, x in enumerate(items))
                return Group("any" if key == "any" else "all", subs)
        kinds = [k for k in _OPS if k in m]
        if "value" not in m or len(kinds) != 1:
            self.fail(where, f"needs 'value' and exactly one of {', '.join(_OPS)}")
        kind, name = kinds[0], m["value"]
        exit_key = {"below": "exit_above", "above": "exit_below"}.get(kind)
        for bad in ("exit_above", "exit_below"):
            if bad in m and bad != exit_key:
                self.fail(f"{where}.{bad}", f"does not go with '{kind}'")
        enter = m[kind]
        ex = m.get(exit_key or "", enter)
        if (ex < enter) if kind == "below" else (ex > enter):
            self.fail(f"{where}.{exit_key}", f"must be {'>=' if kind == 'below' else '<='} {enter}")
        return Check(name, _OP_OF[kind], enter, ex)

    def when(self, where: str, obj: object) -> When:
        m = self.fields(where, obj, "", _COND + " for_s after_prompt_s")
        for_s, after = m.pop("for_s", 0.0), m.pop("after_prompt_s", None)
        cond = self.cond(where, {k: obj[k] for k in m} if isinstance(obj, dict) else obj)
        return When(cond, for_s, after)

    def step(self, where: str, obj: object, following: str | None) -> Step:
        opt = "speech icon choices duration_s advance_when next judge observed"
        m = self.fields(where, obj, "id prompt", opt)
        raw = self.seq(f"{where}.choices", m["choices"]) if "choices" in m else []
        judged = "judge" in m
        need = "id label sign" if judged else "id label correct"
        choices = tuple(
            ChoiceSpec(**{"correct": False,
                          **self.fields(f"{where}.choices[{i}]", c, need, "explain next")})
            for i, c in enumerate(raw)
        )  # fmt: skip
        if judged and not choices:
            self.fail(f"{where}.judge", "needs choices to judge")
        if not judged and choices and not any(c.correct for c in choices):
            self.fail(f"{where}.choices", "needs at least one correct choice")
        if len({c.id for c in choices}) != len(choices):
            self.fail(f"{where}.choices", "choice ids must be unique")
        adv = self.when(f"{where}.advance_when", m["advance_when"]) if "advance_when" in m else None
        nxt = m.get("next", following)
        observed = self.observed(f"{where}.observed", m.get("observed", {}))
        for i, c in enumerate(choices):
            if c.sign in OBSERVED and c.sign not in dict(observed):
                self.fail(f"{where}.choices[{i}].sign", f"{c.sign!r} needs the step's observed")
        step = Step(**{"speech": m["prompt"], "icon": "info", **m, "choices": choices, "next": nxt,
                       "advance_when": adv, "observed": observed})  # fmt: skip
        if nxt is None and (adv or step.duration_s or any(c.next is None for c in choices)):
            self.fail(f"{where}.next", "is required: this is the last step and it can advance")
        return step

    def observed(self, where: str, obj: object) -> tuple[tuple[str, str], ...]:
        """``{consciousness: alert, oxygen: air}``: NEWS2's bedside observations."""
        m = self.fields(where, obj, "", " ".join(OBSERVED))
        for name, value in m.items():
            if value not in OBSERVED[name]:
                self.fail(f"{where}.{name}", f"must be one of {', '.join(OBSERVED[name])}")
        return tuple((name, m[name]) for name in OBSERVED if name in m)

    def rules(self, obj: object, step_ids: list[str]) -> tuple[Rule, ...]:
        if obj == []:
            return ()
        items = self.seq("rules", obj)
        return tuple(self.rule(f"rules[{i}]", x, step_ids) for i, x in enumerate(items))

    def rule(self, where: str, obj: object, step_ids: list[str]) -> Rule:
        m = self.fields(where, obj, "id steps when severity topic text", _RULE_OPT)
        steps = self.seq(f"{where}.steps", m["steps"])
        for i, s in enumerate(steps):
            if s not in step_ids:
                self.fail(f"{where}.steps[{i}]", f"unknown step {s!r}")
        when = self.when(f"{where}.when", m["when"])
        defaults = {"priority": 0, "speech": m["text"], "icon": "info"}
        return Rule(**{**defaults, **m, "steps": frozenset(steps), "when": when})

    def scoring(
        self, obj: object, steps: list[str], rules: list[str]
    ) -> CprScoring | DecisionScoring | PracticeScoring:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        if kind == "practice":
            m = self.fields("scoring", obj, "kind step", "trials choices_shown")
            if m["step"] not in steps:
                self.fail("scoring.step", f"unknown step {m['step']!r}")
            return PracticeScoring(m["step"], m.get("trials", 20), m.get("choices_shown", 4))
        if kind == "decisions":
            m = self.fields("scoring", obj, "kind", "alarm_rule recognise_step")
            for key, known in (("alarm_rule", rules), ("recognise_step", steps)):
                if key in m and m[key] not in known:
                    self.fail(f"scoring.{key}", f"unknown {key.split('_')[1]} {m[key]!r}")
            return DecisionScoring(m.get("alarm_rule"), m.get("recognise_step"))
        if kind != "cpr":
            self.fail("scoring.kind", "must be 'cpr', 'decisions' or 'practice'")
        m = self.fields("scoring", obj, "kind step", "rate depth_mm ccf_target_pct weights")
        if m["step"] not in steps:
            self.fail("scoring.step", f"unknown step {m['step']!r}")
        w = self.fields("scoring.weights", m.get("weights", dict(WEIGHTS)), "rate depth recoil ccf")
        weights = {k: self.check(f"scoring.weights.{k}", "non-negative", v) for k, v in w.items()}
        if sum(weights.values()) <= 0:
            self.fail("scoring.weights", "must have a positive sum")
        return CprScoring(
            m["step"],
            self.pair("scoring.rate", m.get("rate", [100, 120])),
            self.pair("scoring.depth_mm", m.get("depth_mm", [50, 60])),
            m.get("ccf_target_pct", 80.0),
            MappingProxyType(weights),
        )


def _desired(r: _Reader, obj: object, scenario_id: str) -> dict[str, str | int | float | bool]:
    if not isinstance(obj, dict) or obj.get("scenario") != scenario_id:
        r.fail("desired.scenario", f"is required and must equal the scenario id {scenario_id!r}")
    for key, v in obj.items():
        ok = isinstance(v, str | bool) or (isinstance(v, int | float) and math.isfinite(v))
        if not isinstance(key, str) or not ok:
            r.fail(f"desired.{key}", "must be a string, finite number or boolean")
    return dict(obj)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of silently keeping the last."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def parse_scenario(
    text: str, source: str = "<string>", *, expected_id: str | None = None
) -> Scenario:
    """Parse and validate one scenario document; raise ``ScenarioError`` naming the field."""
    r = _Reader(source)
    try:
        doc = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, TypeError) as exc:
        r.fail("<yaml>", f"not valid YAML: {exc}")
    m = r.fields("", doc, "id title summary desired steps rules scoring")
    sid = m["id"]
    if expected_id is not None and sid != expected_id:
        r.fail("id", f"must match the file name {expected_id!r}, got {sid!r}")
    raw = r.seq("steps", m["steps"])
    ids = [
        r.check(f"steps[{i}].id", "ident", s.get("id") if isinstance(s, dict) else None)
        for i, s in enumerate(raw)
    ]
    if len(set(ids)) != len(ids):
        r.fail("steps", "step ids must be unique")
    steps = tuple(r.step(f"steps[{i}]", s, [*ids, None][i + 1]) for i, s in enumerate(raw))
    for i, st in enumerate(steps):
        refs = [(f"choices[{j}].next", c.next) for j, c in enumerate(st.choices)]
        for where, ref in [("next", st.next), *refs]:
            if ref is not None and ref not in ids:
                r.fail(f"steps[{i}].{where}", f"unknown step {ref!r}")
    if not any(st.terminal for st in steps):
        r.fail("steps", "needs a terminal step (no choices, duration_s or advance_when)")
    rules = r.rules(m["rules"], ids)
    if len({x.id for x in rules}) != len(rules):
        r.fail("rules", "rule ids must be unique")
    scoring = r.scoring(m["scoring"], ids, [x.id for x in rules])
    desired = MappingProxyType(_desired(r, m["desired"], sid))
    return Scenario(sid, m["title"], m["summary"], desired, steps, rules, scoring, source)


def scenario_ids() -> tuple[str, ...]:
    """Ids of the scenarios shipped with the package, sorted."""
    folder = resources.files("accessibility").joinpath("scenarios")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml")))


@cache
def load_scenario(scenario_id: str) -> Scenario:
    """A packaged scenario by id (validated once, then cached)."""
    if not _ID.match(scenario_id) or scenario_id not in scenario_ids():
        raise UnknownScenarioError(scenario_id)
    res = resources.files("accessibility").joinpath("scenarios", f"{scenario_id}.yaml")
    return parse_scenario(
        res.read_text(encoding="utf-8"), f"{scenario_id}.yaml", expected_id=scenario_id
    )


def list_scenarios() -> list[dict[str, str]]:
    """For ``GET /api/v1/scenarios``: id, title and summary of every packaged scenario."""
    return [
        {"id": s.id, "title": s.title, "summary": s.summary}
        for s in map(load_scenario, scenario_ids())
    ]
