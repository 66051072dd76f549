"""Issue 16: scenario translations beside the English files, their validator
(``accesstwin scenarios check``), and both scenarios run in Arabic with one switch."""

from __future__ import annotations

import re

import pytest

from accessibility.feedback import FeedbackPolicy
from accessibility.judge import judge_choice
from accessibility.languages import SUPPORTED
from accessibility.model import Feedback, LearnerProfile, TwinView
from accessibility.scanning import ScanMachine, ScanSettings
from accessibility.scenario import load_scenario, scenario_ids
from accessibility.scenario_i18n import (
    check_translations,
    english_texts,
    read_translation,
    scenario_in,
    translation_problems,
)
from accessibility.signals.compressions import Compression
from twin_service.cli import main

ARABIC = re.compile(r"[\u0600-\u06ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
SCRIPTS = {"ar": ARABIC, "zh": HAN}


def test_every_scenario_is_complete_in_every_language() -> None:
    assert [str(p) for p in check_translations()] == []


@pytest.mark.parametrize("lang", ["ar", "zh"])
@pytest.mark.parametrize("scenario_id", scenario_ids())
def test_every_text_a_learner_meets_is_in_their_script(lang: str, scenario_id: str) -> None:
    english, local = load_scenario(scenario_id), scenario_in(load_scenario(scenario_id), lang)
    assert local.lang == lang and local.steps != english.steps
    texts = [local.title, local.summary, local.try_again]
    for step in local.steps:
        texts += [step.prompt, step.speech]
        texts += [t for c in step.choices for t in (c.label, c.explain) if t]
    for rule in local.rules:
        texts += [t for t in (rule.text, rule.speech, rule.resolved) if t]
    assert all(SCRIPTS[lang].search(t) for t in texts), [
        t for t in texts if not SCRIPTS[lang].search(t)
    ]
    # Same ids, thresholds and scoring: only the words change.
    assert [s.id for s in local.steps] == [s.id for s in english.steps]
    assert [r.when for r in local.rules] == [r.when for r in english.rules]
    assert local.scoring == english.scoring


def test_the_validator_names_file_and_key_of_what_is_missing_stale_or_changed() -> None:
    english = english_texts("vitals")
    texts = dict(read_translation("ar", "vitals") or {})
    del texts["steps.act.choices.recheck.explain"]
    texts["steps.act.choices.recheck.label"] = "أعد القياس بعد 60 دقيقة"  # 30 in English
    texts["steps.gone.prompt"] = "نص قديم"
    problems = [str(p) for p in translation_problems("i18n/ar/vitals.yaml", english, texts)]
    assert problems == [
        "i18n/ar/vitals.yaml: steps.act.choices.recheck.explain: missing",
        "i18n/ar/vitals.yaml: steps.act.choices.recheck.label: numbers ['60'] differ from"
        " the English ['30']",
        "i18n/ar/vitals.yaml: steps.gone.prompt: not in the English file (stale or misspelt)",
    ]


def test_accesstwin_scenarios_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scenarios", "check"]) == 0
    assert "each complete in ar, zh" in capsys.readouterr().out
    real = read_translation

    def without_a_label(lang: str, scenario_id: str) -> dict[str, object] | None:
        texts = real(lang, scenario_id)
        if texts is not None and (lang, scenario_id) == ("zh", "cpr"):
            del texts["steps.ready.choices.ready.label"]
        return texts

    monkeypatch.setattr("accessibility.scenario_i18n.read_translation", without_a_label)
    assert main(["scenarios", "check"]) == 1
    err = capsys.readouterr().err
    assert "i18n/zh/cpr.yaml: steps.ready.choices.ready.label: missing" in err


def run_one_switch(scenario_id: str, lang: str) -> tuple[FeedbackPolicy, list[Feedback], int]:
    """A learner with one switch (auto scan, 1 s) who presses when the right answer is lit;
    the kit reports good compressions (CPR: 55 mm, full recoil, 110/min) or a deteriorating
    patient (vitals) every 0.5 s.
    Simulated time, no clock."""
    profile = LearnerProfile(language=lang)
    policy = FeedbackPolicy(scenario_in(load_scenario(scenario_id), lang))
    scan = ScanMachine(ScanSettings.from_profile(profile))
    values = (
        {"cpr_rate": 110.0, "cpr_depth_mm": 55.0, "cpr_recoil_pct": 95.0}
        if scenario_id == "cpr"
        else {"spo2": 88.0, "sbp": 86.0, "hr": 124.0, "resp_rate": 26.0, "temp_c": 38.6}
    )
    said: list[Feedback] = []
    presses, t = 0, 0.0

    def deliver(items: list[Feedback]) -> None:
        said.extend(items)
        for item in items:
            if item.choices:
                scan.set_choices(item.choices, t)

    deliver(policy.start(t))
    while not policy.finished and t < 400:
        t += 0.5
        deliver(policy.update(TwinView(t, values, dict.fromkeys(values, t))))
        if scenario_id == "cpr" and policy.step_id == "compressions":  # one every 0.5 s
            deliver(policy.add_compressions([Compression(t, 55.0, 1.0, 0.55, 110.0)], t))
        scan.tick(t)
        lit = scan.highlighted
        step = policy.scenario.step(policy.step_id or "")
        view = TwinView(t, values, dict.fromkeys(values, t))
        right = {c.id for c in step.choices if judge_choice(step, c, view, 5.0)[0]}
        if lit is not None and scan.choices[lit].id in right:
            presses += 1
            for state, at in (("down", t), ("up", t + 0.1)):
                out = scan.on_switch("select", state, at)
                if out.kind == "selected" and out.choice is not None:
                    deliver(policy.choose(out.choice.id, at))
    return policy, said, presses


@pytest.mark.parametrize("scenario_id", ["vitals", "cpr"])
def test_both_scenarios_complete_in_arabic_with_one_switch(scenario_id: str) -> None:
    policy, said, presses = run_one_switch(scenario_id, "ar")
    assert policy.finished
    english = load_scenario(scenario_id)
    assert presses == sum(1 for s in english.steps if s.choices)
    # Everything the learner meets is Arabic, the explanations of NEWS2-judged answers
    # (accessibility/judge.py, made from the twin's values) included.
    judged = {st.id for st in english.steps if st.judge}
    assert not judged or any(f.topic == "explain" and f.id.split("-")[0] in judged for f in said)
    assert all(ARABIC.search(f.text) and ARABIC.search(f.speech_text) for f in said)
    assert said[-1].text == scenario_in(english, "ar").steps[-1].prompt
    assert policy.score().score == pytest.approx(100, abs=15)


def test_supported_languages_are_the_profile_ones() -> None:
    assert SUPPORTED == ("en", "ar", "zh")


DETERIORATING = {"spo2": 90.5, "sbp": 88.0, "hr": 124.0, "resp_rate": 26.0, "temp_c": 38.6}
ENGLISH_WORD = re.compile(r"\b(?!NEWS2\b|SpO2\b|mmHg\b|bpm\b|min\b)[A-Za-z]{3,}\b")  # units kept


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_news2_judged_explanations_are_in_the_learners_language(lang: str) -> None:
    """Every answer of the judged step, right and wrong, and the "none" answer with every
    sign in range: in the learner's script, no English word but the units, NEWS2 and SpO2,
    the values in the Western digits the monitor shows, the list joined the language's way."""
    scenario = scenario_in(load_scenario("vitals"), lang)
    step = next(st for st in scenario.steps if st.judge == "news2")
    said: list[str] = []
    normal = {"spo2": 97.0, "sbp": 120.0, "hr": 70.0, "resp_rate": 14.0, "temp_c": 37.0}
    for values in (DETERIORATING, normal, {"hr": 120.0}):
        view = TwinView(0.0, values, dict.fromkeys(values, 0.0))
        for choice in step.choices:
            said.append(
                judge_choice(step, choice, view, 5.0, scenario.news2, scenario.lang)[1] or ""
            )
    assert len(set(said)) >= 6
    for text in said:
        assert SCRIPTS[lang].search(text), text
        assert not ENGLISH_WORD.search(text), text
    # The list of the most concerning signs: SpO2 90.5 % is shown (and scored) as 91 %.
    worst = next(t for t in said if "91" in t and "88" in t and "26" in t)
    assert "90.5" not in worst
    assert ("، " if lang == "ar" else "；") in worst
    english = judge_choice(step, step.choices[0], view, 5.0)[1] or ""
    assert not SCRIPTS[lang].search(english)  # the English default stays English


def test_the_validator_checks_the_news2_texts_and_their_placeholders() -> None:
    english = english_texts("vitals")
    assert english["messages.news2.describe"] == "{sign} {value} {unit} (NEWS2 {score})"
    assert "messages.news2.sign_right" not in english_texts("cpr")  # no judged step there
    texts = dict(read_translation("ar", "vitals") or {})
    del texts["messages.news2.sign.hr"]
    texts["messages.news2.sign_right"] = "نعم - العلامة هي الأعلى الآن."
    assert [str(p) for p in translation_problems("i18n/ar/vitals.yaml", english, texts)] == [
        "i18n/ar/vitals.yaml: messages.news2.sign.hr: missing",
        "i18n/ar/vitals.yaml: messages.news2.sign_right: placeholders [] differ from the"
        " English ['sign']",
    ]
