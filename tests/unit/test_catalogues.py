"""Issue 16: the pages' message catalogues - every key in every language, and every key the
pages use is in them. Fails, naming file and key, when a language lacks one."""

from __future__ import annotations

import re
from importlib import resources

from accessibility.languages import SUPPORTED
from twin_service.messages import catalogue_file, catalogue_problems

STATIC = resources.files("twin_service").joinpath("static")
# t('learn.start'), 'learn.sev.info' in a table, `learn.conn.${state}`, data-i18n="…".
JS_KEY = re.compile(r"""['"`]((?:learn|dashboard|report)\.[a-z0-9_.]+?)(\.\$\{[^}]+\})?['"`]""")
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
    for page in ("learn.html", "dashboard.html"):
        used |= set(HTML_KEY.findall(STATIC.joinpath(page).read_text("utf-8")))
    scripts = [
        f.name for f in STATIC.iterdir() if f.name.startswith("learn") and f.name.endswith(".js")
    ]
    assert "learn-inputs.js" in scripts
    for script in scripts:
        for key, dynamic in JS_KEY.findall(STATIC.joinpath(script).read_text("utf-8")):
            (prefixes if dynamic else used).add(key)
    assert len(used) > 40
    assert sorted(used - english.keys()) == []
    for prefix in prefixes:  # learn.conn.${known}: at least the states the page names
        assert any(k.startswith(prefix + ".") for k in english), prefix
