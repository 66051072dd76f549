"""Explanations in the reader's language: the scan-time and switch-timing explanations are
phrases (accessibility.explained) whose English is the catalogue's, so the report and the
dashboard say them in Arabic or Chinese; the API's English ``explained`` text is unchanged.
The scoring formula, grade and measures of the report are translated too."""

from __future__ import annotations

import re

import pytest

from accessibility.explained import EXPLAIN_TEXTS, phrase, phrases_json, say
from accessibility.press_timing import PressTimer
from accessibility.scan_calibration import KnownTargetScanTime, TrialTiming
from accessibility.scanning import ScanMachine
from twin_service.messages import catalogue_file, say_phrases
from twin_service.sessions.report import FORMULA_KEYS, report_page

SCRIPT = {"ar": re.compile(r"[\u0600-\u06ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}


def test_the_english_catalogue_has_every_explanation_as_the_code_says_it() -> None:
    english = catalogue_file("en")
    assert {k: english.get(k) for k in EXPLAIN_TEXTS} == dict(EXPLAIN_TEXTS)


def test_the_english_catalogue_has_each_scoring_formula_as_the_scorers_write_it() -> None:
    english = catalogue_file("en")
    assert {f: english.get(k) for f, k in FORMULA_KEYS.items()} == {f: f for f in FORMULA_KEYS}


def _calibration_phrases() -> list[list[dict[str, object]]]:
    learner = KnownTargetScanTime(1500, min_samples=3, streak=2)
    said = [phrases_json(learner.explain_phrases())]
    for kind, rt in [("early", None), ("no_press", None), ("late", 1.7), ("late", None)] + [
        ("correct", 0.6)
    ] * 6:
        learner.record(TrialTiming(kind, rt))  # type: ignore[arg-type]
        said.append(phrases_json(learner.explain_phrases()))
    return said


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_scan_time_explanations_are_said_in_arabic_and_chinese(lang: str) -> None:
    seen = set()
    for phrases in _calibration_phrases():
        text = say_phrases(lang, phrases)
        assert text is not None and SCRIPT[lang].search(text), phrases
        assert not re.search(r"[A-Za-z]{3,}", text), text  # no English word left
        seen.add(phrases[0]["key"])
    assert len(seen) >= 6, seen  # start, early, no press, late, measuring, streak / sped


def test_switch_timing_reasons_are_phrases_with_the_same_english() -> None:
    timer = PressTimer()
    t = 0.0
    for length, meant in [(0.4, True), (0.05, False), (0.45, True), (0.5, True)]:
        timer.event("next", "down", t)
        if meant:
            timer.intended(t)
        timer.event("next", "up", t + length)
        timer.event("next", "down", t + length + 0.08)  # a bounce 80 ms after the release
        timer.event("next", "up", t + length + 0.09)
        t += 2
    proposal = timer.propose(20, 0)
    assert proposal.explained == say(proposal.phrases)
    assert proposal.explained.startswith("4 bounce(s), the longest 80 ms after a release")
    body = proposal.to_dict()["explained_phrases"]
    zh = say_phrases("zh", body)
    assert zh is not None and "80 毫秒" in zh and "毫秒。发现" in zh  # no space between sentences
    ar = say_phrases("ar", body)
    assert ar is not None and "ثانية. عدد" in ar  # Arabic sentences are spaced


def test_a_fixed_scan_time_and_an_unknown_key_fall_back_to_english() -> None:
    assert ScanMachine is not None
    assert (
        say([phrase("explain.scan.fixed", s="1.5")]) == "Scan time 1.5 s, as set in your profile."
    )
    assert say_phrases("ar", [{"key": "explain.nope", "values": {}}]) is None
    assert say_phrases("ar", "not a list") is None


def test_the_arabic_report_translates_formula_grade_measures_and_scan_explanation() -> None:
    ar = catalogue_file("ar")
    phrases = _calibration_phrases()[-1]
    report = {
        "learner_id": "L1", "lab": "ward", "kit": "k1", "created_at": 1.7e9, "state": "finished",
        "score": {"score": 80.0, "grade": "Good", "formula": next(iter(FORMULA_KEYS)),
                  "metrics": {"compressions": 30, "ccf_pct": 85.0}},
        "feedback": [{"severity": "info", "text": "Scan time …", "delivered_at": 1.7e9,
                      "phrases": phrases}],
        "scan_explained": "Scan time …", "scan_explained_phrases": phrases,
    }  # fmt: skip
    page = report_page(report, "عنوان", "ar")
    assert '<span lang="en">' not in page
    assert ar["dashboard.grade.good"] in page and ar["report.formula.cpr"] in page
    assert ar["report.metric.compressions"] in page
    assert page.count(say_phrases("ar", phrases) or "?") == 2  # feedback line and scanning
    old = {**report, "score": {**report["score"], "formula": "an older formula"}}
    assert '<span lang="en">an older formula</span>' in report_page(old, "t", "ar")
