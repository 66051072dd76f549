"""The debrief and progress fragments in the reader's language: every word the server puts
around the recorded values comes from the catalogue (record.*), so in Arabic and Chinese no
English sentence is left; numbers keep the Western digits; English reads as before."""

from __future__ import annotations

import html
import re

import pytest

from twin_service.messages import catalogue_file
from twin_service.records.base import EventRow, SessionRow
from twin_service.records.charts import Series
from twin_service.records.debrief import debrief_html
from twin_service.records.progress import progress_html, progress_json, session_progress
from twin_service.records.views import event_summary

T0 = 1_700_000_000.0
# What may stay in Latin letters inside an Arabic or Chinese page: identifiers and machine
# words the record holds (ids, kinds, switch states), unit symbols, and abbreviations.
ALLOWED = {
    "L1",
    "S1",
    "ward",
    "k1",
    "vitals",
    "cpr",
    "UTC",
    "HTTP",
    "CSV",
    "ms",
    "mm",
    "bpm",
    "min",
    "SpO2",
    "EtCO2",
    "CCF",
    "PPG",
    "NEWS2",
    "session",
    "created",
    "finished",
    "choice",
    "switch",
    "score",
    "bookmark",
    "feedback",
    "instructor",
    "scan",
    "interval",
    "pressed",
    "selected",
    "profile",
    "advance",
    "normal",
    "s",
    "s1",
}


def _events() -> list[EventRow]:
    return [
        EventRow("S1", 1, T0, "session.created", {}),
        EventRow("S1", 2, T0 + 3, "feedback", {"severity": "warning", "text": "تحذير"}),
        EventRow(
            "S1",
            3,
            T0 + 5,
            "switch",
            {"switch": "1", "state": "pressed", "outcome": "selected", "rt_ms": 640.0},
        ),
        EventRow(
            "S1", 4, T0 + 6, "choice", {"step": "s1", "choice": "a", "label": "أ", "correct": False}
        ),
        EventRow("S1", 5, T0 + 8, "scan.interval", {"interval_ms": 1500, "source": "profile"}),
        EventRow("S1", 6, T0 + 9, "score", {"score": 50.0, "step": "s1"}),
        EventRow("S1", 7, T0 + 10, "instructor", {"action": "advance", "step": "s1"}),
        EventRow("S1", 8, T0 + 11, "bookmark", {"note": "ملاحظة"}),
        EventRow("S1", 9, T0 + 20, "session.finished", {}),
    ]


def _report() -> dict[str, object]:
    return {
        "session_id": "S1",
        "learner_id": "L1",
        "lab": "ward",
        "kit": "k1",
        "scenario": "vitals",
        "state": "finished",
        "created_at": T0,
        "finished_at": T0 + 20,
        "score": {"score": 50.0, "grade": "Fair"},
    }


def _debrief(lang: str) -> str:
    vitals = {"hr": Series("Heart rate", "bpm", [(T0 + i, 80.0 + i) for i in range(5)])}
    return debrief_html(_report(), "عنوان", _events(), vitals, lang)


def _progress(lang: str) -> str:
    rows = [
        SessionRow(
            f"S{i}",
            "L1",
            "ward",
            "k1",
            "vitals",
            "finished",
            "o",
            T0 + i * 100,
            b"",
            {"scan_interval_ms": 1500},
            score={"score": 40.0 + i * 10},
        )
        for i in range(3)
    ]
    data = progress_json("L1", [session_progress(r, _events()) for r in rows])
    return progress_html("L1", data, {"scan_interval_ms": 1500, "adaptive_scan": True}, lang)


def _latin_words(fragment: str) -> set[str]:
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return {w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", text) if w not in ALLOWED}


@pytest.mark.parametrize("lang", ["ar", "zh"])
@pytest.mark.parametrize("render", [_debrief, _progress], ids=["debrief", "progress"])
def test_no_english_words_are_left_in_arabic_or_chinese(lang: str, render: object) -> None:
    assert callable(render)
    fragment = render(lang)
    assert _latin_words(fragment) == set()
    assert re.search(r"[\u0600-\u06ff]" if lang == "ar" else r"[\u4e00-\u9fff]", fragment)
    assert not re.search(r"[\u0660-\u0669\u06f0-\u06f9]", fragment)  # Western digits only


def test_the_english_fragments_read_as_before() -> None:
    debrief = _debrief("en")
    assert "<h1>Debrief: عنوان</h1>" in debrief
    assert "Score 50 of 100 (Fair)." in debrief and "9 events, 1 bookmark." in debrief
    assert "Chose أ (wrong) at step s1" in debrief
    assert "Switch 1 pressed (selected, reaction 640 ms)" in debrief
    assert "Scale: bottom 80.0 bpm, top 84.0 bpm; across: time since start, 0 s to 4 s." in debrief
    progress = _progress("en")
    assert (
        "Score in vitals: from 40 of 100 to 60 of 100 over 3 sessions; it rose by 20 of 100"
        " (better). Best 60 of 100." in progress
    )
    assert (
        "Scan time in the profile now: 1500 ms (adapted from the learner&#x27;s presses)."
        in progress
    )


def test_the_arabic_debrief_uses_the_catalogues_words() -> None:
    ar = catalogue_file("ar")
    debrief = _debrief("ar")
    assert f'<h2 id="timeline-title">{ar["record.debrief.timeline"]}</h2>' in debrief
    assert ar["dashboard.grade.fair"] in debrief  # the grade in the reader's language
    assert ar["dashboard.sensor.hr"] in debrief  # the chart's vital by the dashboard's word
    summary = event_summary(_events()[1], "ar")
    assert summary == f"{ar['report.sev.warning']}: تحذير"
    # The CSV and the events JSON stay English (the default).
    assert event_summary(_events()[0]) == "Session started"


def test_numbers_with_units_are_isolated_in_arabic_only() -> None:
    """Inside a right-to-left sentence "1500 ms" would show as "ms 1500": it is isolated
    (U+2068 … U+2069) in Arabic, and left alone in Chinese and English."""
    assert "\u20681500 ms\u2069" in _progress("ar")
    assert "\u2068" not in _progress("zh") and "\u2068" not in _debrief("en")
    assert "\u206880.0 bpm\u2069" in _debrief("ar")
