"""Scenario translations: ``scenarios/i18n/{lang}/{scenario}.yaml`` beside the English files.

A translation holds, keyed by the ids of the English file, every text a learner reads or
hears: ``title``, ``summary``; ``steps.{step}.prompt`` / ``.speech``;
``steps.{step}.choices.{choice}.label`` / ``.explain``; ``rules.{rule}.text`` / ``.speech`` /
``.resolved``; ``messages.try_again`` (said after a wrong choice without an
explanation), ``messages.undo``, and, for a scenario with a ``judge: news2`` step, the words
of its judged answers ``messages.news2.*`` (``accessibility.news2.NEWS2_TEXTS``; their
``{placeholders}`` must stay as in English). It has exactly the fields the English file
has: a ``speech`` where the English step or rule has its own ``speech``, an ``explain``
where the English choice has one.

:func:`check_translations` is the validator (``accesstwin scenarios check``): each problem
names the file and the key - a text missing, a key the English file no longer has, an empty
text, or numbers that differ from the English (a threshold must not change in translation).
:func:`localize` is forgiving where the check is strict: a text missing in a translation is
said in English, so a new English step never breaks a running service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import yaml

from accessibility.languages import DEFAULT_LANGUAGE, SUPPORTED, language
from accessibility.news2 import NEWS2_TEXTS
from accessibility.practice import PRACTICE_TEXTS
from accessibility.scenario import (
    Scenario,
    ScenarioError,
    _StrictLoader,
    load_scenario,
    scenario_ids,
)

Texts = Mapping[str, str]  # dotted key -> text
_NUMBER = re.compile(r"(?<![A-Za-z])\d+(?:[.,]\d+)?")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_STEP_TEXTS = ("prompt", "speech")
_CHOICE_TEXTS = ("label", "explain")
_RULE_TEXTS = ("text", "speech", "resolved")


@dataclass(frozen=True, slots=True)
class Problem:
    file: str  # e.g. "i18n/ar/vitals.yaml"
    key: str  # e.g. "steps.observe.choices.normal.explain"
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


def _folder() -> Any:
    return resources.files("accessibility").joinpath("scenarios")


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError(source, "<yaml>", f"not valid YAML: {exc}") from None


def english_texts(scenario_id: str) -> dict[str, str]:
    """Every translatable text of the English scenario file, by dotted key."""
    source = f"{scenario_id}.yaml"
    doc = _load_yaml(_folder().joinpath(source).read_text("utf-8"), source)
    out = {"title": doc["title"], "summary": doc["summary"]}
    for step in doc["steps"]:
        out.update(_pick(f"steps.{step['id']}", step, _STEP_TEXTS))
        for choice in step.get("choices", ()):
            out.update(_pick(f"steps.{step['id']}.choices.{choice['id']}", choice, _CHOICE_TEXTS))
    for rule in doc["rules"]:
        out.update(_pick(f"rules.{rule['id']}", rule, _RULE_TEXTS))
    out["messages.try_again"] = Scenario.__dataclass_fields__["try_again"].default
    out["messages.undo"] = Scenario.__dataclass_fields__["undo_label"].default
    out["messages.undone"] = Scenario.__dataclass_fields__["undone"].default
    if any(step.get("judge") == "news2" for step in doc["steps"]):
        out.update({f"messages.news2.{k}": v for k, v in NEWS2_TEXTS.items()})
    if (doc.get("scoring") or {}).get("kind") == "practice":
        out.update({f"messages.practice.{k}": v for k, v in PRACTICE_TEXTS.items()})
    return {k: " ".join(str(v).split()) for k, v in out.items()}


def _pick(prefix: str, obj: Mapping[str, Any], fields: tuple[str, ...]) -> Iterator[Any]:
    return ((f"{prefix}.{f}", obj[f]) for f in fields if f in obj)


def _flatten(prefix: str, obj: object, out: dict[str, object]) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = obj


def translation_file(lang: str, scenario_id: str) -> str:
    return f"i18n/{lang}/{scenario_id}.yaml"


def read_translation(lang: str, scenario_id: str) -> dict[str, object] | None:
    """The translation's values by dotted key, or None when there is no such file."""
    path = _folder().joinpath("i18n", lang, f"{scenario_id}.yaml")
    if not path.is_file():
        return None
    name = translation_file(lang, scenario_id)
    doc = _load_yaml(path.read_text("utf-8"), name)
    if not isinstance(doc, dict):
        raise ScenarioError(name, "<document>", "must be a mapping")
    flat: dict[str, object] = {}
    _flatten("", doc, flat)
    return flat


def check_translation(lang: str, scenario_id: str) -> list[Problem]:
    """What is wrong with one translation of one scenario (empty: nothing)."""
    name = translation_file(lang, scenario_id)
    english = english_texts(scenario_id)
    try:
        texts = read_translation(lang, scenario_id)
    except ScenarioError as exc:
        return [Problem(name, exc.field, str(exc).split(": ", 2)[-1])]
    if texts is None:
        return [Problem(name, "<file>", f"missing: no {language(lang).name} translation")]
    return translation_problems(name, english, texts)


def translation_problems(
    name: str, english: Mapping[str, str], texts: Mapping[str, object]
) -> list[Problem]:
    """``texts`` (a translation, by dotted key) against the English ``english``."""
    problems = [Problem(name, k, "missing") for k in english if k not in texts]
    for key, value in texts.items():
        if key not in english:
            problems.append(Problem(name, key, "not in the English file (stale or misspelt)"))
        elif not isinstance(value, str) or not value.strip():
            problems.append(Problem(name, key, "must be a non-empty text"))
        elif sorted(_NUMBER.findall(english[key])) != sorted(_NUMBER.findall(value)):
            en, here = _NUMBER.findall(english[key]), _NUMBER.findall(value)
            problems.append(Problem(name, key, f"numbers {here} differ from the English {en}"))
        elif sorted(_PLACEHOLDER.findall(english[key])) != sorted(_PLACEHOLDER.findall(value)):
            en, here = _PLACEHOLDER.findall(english[key]), _PLACEHOLDER.findall(value)
            problems.append(Problem(name, key, f"placeholders {here} differ from the English {en}"))
    return problems


def check_translations() -> list[Problem]:
    """Every packaged scenario in every supported language other than English."""
    return [
        problem
        for scenario_id in scenario_ids()
        for lang in SUPPORTED
        if lang != DEFAULT_LANGUAGE
        for problem in check_translation(lang, scenario_id)
    ]


def localize(scenario: Scenario, lang: str, texts: Mapping[str, object]) -> Scenario:
    """``scenario`` with its texts from ``texts`` (dotted keys); a key missing keeps the
    English text. A step's or rule's spoken text follows its translated text when the
    translation gives no ``speech`` of its own."""

    def text(key: str, english: str) -> str:
        value = texts.get(key)
        return " ".join(value.split()) if isinstance(value, str) and value.strip() else english

    steps = []
    for st in scenario.steps:
        pre = f"steps.{st.id}"
        prompt = text(f"{pre}.prompt", st.prompt)
        speech = text(f"{pre}.speech", prompt if st.speech == st.prompt else st.speech)
        choices = tuple(
            replace(
                c,
                label=text(f"{pre}.choices.{c.id}.label", c.label),
                explain=text(f"{pre}.choices.{c.id}.explain", c.explain) if c.explain else None,
            )
            for c in st.choices
        )
        steps.append(replace(st, prompt=prompt, speech=speech, choices=choices))
    rules = []
    for r in scenario.rules:
        shown = text(f"rules.{r.id}.text", r.text)
        spoken = text(f"rules.{r.id}.speech", shown if r.speech == r.text else r.speech)
        resolved = text(f"rules.{r.id}.resolved", r.resolved) if r.resolved else None
        rules.append(replace(r, text=shown, speech=spoken, resolved=resolved))
    return replace(
        scenario,
        title=text("title", scenario.title),
        summary=text("summary", scenario.summary),
        steps=tuple(steps),
        rules=tuple(rules),
        lang=lang,
        try_again=text("messages.try_again", scenario.try_again),
        undo_label=text("messages.undo", scenario.undo_label),
        undone=text("messages.undone", scenario.undone),
        news2=MappingProxyType(
            {k: text(f"messages.news2.{k}", v) for k, v in scenario.news2.items()}
        ),
        practice=MappingProxyType(
            {k: text(f"messages.practice.{k}", v) for k, v in scenario.practice.items()}
        ),
    )


@cache
def _packaged(scenario_id: str, lang: str) -> Scenario:
    english = load_scenario(scenario_id)
    texts = read_translation(lang, scenario_id) if lang != DEFAULT_LANGUAGE else None
    return localize(english, lang, texts or {})


def scenario_in(scenario: Scenario, lang: str) -> Scenario:
    """``scenario`` in ``lang``: a packaged scenario with its translation (English texts
    where one is missing); a scenario that is not packaged keeps its own texts."""
    language(lang)
    if scenario.id in scenario_ids() and scenario == load_scenario(scenario.id):
        return _packaged(scenario.id, lang)
    return replace(scenario, lang=lang)
