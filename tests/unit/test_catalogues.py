"""Issue 16: the pages' message catalogues - every key in every language, and every key the
pages use is in them. Fails, naming file and key, when a language lacks one."""

from __future__ import annotations

import re
from importlib import resources
from typing import get_args

from accessibility.languages import SUPPORTED
from accessibility.monitor import VITALS, Judgement
from accessibility.scoring import GRADES
from accesstwin_contract.quantities import QUANTITIES
from twin_service.messages import catalogue_file, catalogue_problems

STATIC = resources.files("twin_service").joinpath("static")
# t('learn.start'), 'learn.sev.info' in a table, `learn.conn.${state}`, data-i18n="…".
JS_KEY = re.compile(
    r"""['"`]((?:learn|dashboard|report|record|explain|error)\.[a-z0-9_.]+?)(\.\$\{[^}]+\})?['"`]"""
)
HTML_KEY = re.compile(r'data-i18n="([^"]+)"')


def shipped() -> dict[str, dict[str, str]]:
    return {lang: catalogue_file(lang) for lang in SUPPORTED}


def test_every_key_is_in_every_language() -> None:
    assert catalogue_problems(shipped()) == []


def test_a_key_missing_in_one_language_is_reported_with_file_and_key() -> None:
    broken = shipped()
    broken["zh"] = {k: v for k, v in broken["zh"].items() if k != "learn.say_again"}
    broken["ar"] = {**broken["ar"], "learn.scan_now": "مدة المسح الآن لكل إجابة."}
    assert catalogue_problems(broken) == [
        "static/i18n/ar.json: learn.scan_now: placeholders differ from en",
        "static/i18n/zh.json: learn.say_again: missing",
    ]


def test_every_key_the_pages_use_is_in_the_english_catalogue() -> None:
    english = catalogue_file("en")
    used: set[str] = set()
    prefixes: set[str] = set()
    for page in ("learn.html", "dashboard.html", "record.html"):
        used |= set(HTML_KEY.findall(STATIC.joinpath(page).read_text("utf-8")))
    scripts = sorted(
        f.name
        for f in STATIC.iterdir()
        if f.name.endswith(".js") and f.name.startswith(("learn", "dashboard", "record"))
    )
    assert {"learn-monitor.js", "learn-inputs.js", "dashboard.js", "record.js"} <= set(scripts)
    for script in scripts:
        for key, dynamic in JS_KEY.findall(STATIC.joinpath(script).read_text("utf-8")):
            (prefixes if dynamic else used).add(key)
    assert len(used) > 40
    assert sorted(used - english.keys()) == []
    for prefix in prefixes:  # learn.conn.${known}: at least the states the page names
        assert any(k.startswith(prefix + ".") for k in english), prefix


def test_the_monitor_has_words_for_every_state_trend_and_vital_in_every_language() -> None:
    """learn-monitor.js builds these keys from what the server sends (the NEWS2 judgement,
    the trend, the monitor's vitals): each one must be in every catalogue."""
    wanted = [f"learn.monitor.{state}" for state in get_args(Judgement)]
    wanted += [f"learn.monitor.trend.{trend}" for trend in ("rising", "falling", "steady", "none")]
    wanted += [f"learn.monitor.vital.{vital.name}" for vital in VITALS]
    wanted += ["learn.monitor.low", "learn.monitor.high", "learn.monitor.flag_dir"]
    script = STATIC.joinpath("learn-monitor.js").read_text("utf-8")
    assert "`learn.monitor.${d.state}`" in script and "`learn.monitor.trend.${d.trend}`" in script
    for lang, messages in shipped().items():
        assert [k for k in wanted if k not in messages] == [], lang
        if lang != "en":  # translated, not the English word left in place
            english = catalogue_file("en")
            assert [k for k in wanted[:-1] if messages[k] == english[k]] == [], lang


def test_the_dashboard_names_every_shown_sensor_in_every_language() -> None:
    """dashboard.js labels each shown quantity by dashboard.sensor.{name} (blood pressure:
    bp); the English text is the vocabulary's own label, so the two cannot drift apart."""
    shown = {q.name: q.label for q in QUANTITIES if q.shown and q.name not in ("sbp", "dbp")}
    shown["bp"] = "Blood pressure"
    english = catalogue_file("en")
    assert {n: english.get(f"dashboard.sensor.{n}") for n in shown} == shown
    for lang, messages in shipped().items():
        assert [n for n in shown if f"dashboard.sensor.{n}" not in messages] == [], lang
    assert "`dashboard.sensor.${name}`" in STATIC.joinpath("dashboard.js").read_text("utf-8")


def test_every_grade_has_its_words_in_every_language() -> None:
    """dashboard-sessions.js shows score.grade (accessibility.scoring.GRADES) by
    dashboard.grade.{label in lower case, _ for spaces}; English is the grade itself."""
    english = catalogue_file("en")
    for _, label in GRADES:
        key = "dashboard.grade." + re.sub(r"\W+", "_", label.lower())
        assert english.get(key) == label
        for lang, messages in shipped().items():
            assert key in messages and (lang == "en" or messages[key] != label), (lang, key)


SERVER_KEY = re.compile(
    r"""(?<![\w{])["']((?:record|report|explain|error|dashboard)\.[a-z0-9_.]*[a-z0-9_])["']"""
)


def test_every_key_the_server_uses_is_in_the_english_catalogue() -> None:
    """The server-made texts (report, debrief, progress, explanations, error codes) name
    their keys as literals; each must be in en.json (and so, by the test above, in ar/zh)."""
    english = catalogue_file("en")
    package = resources.files("twin_service")
    used: set[str] = set()
    for folder in ("records", "sessions", "api"):
        for f in package.joinpath(folder).iterdir():
            if f.name.endswith(".py"):
                found = SERVER_KEY.findall(f.read_text("utf-8"))
                used |= {k for k in found if not k.endswith((".html", ".js", ".css"))}
    assert {"record.debrief.timeline", "record.event.choice", "record.trend.many"} <= used
    assert sorted(used - english.keys()) == []
