"""The debrief and progress pages in the browser's language (Accept-Language ar / zh): the
page's own words, the server-made fragment (headings, sentences, chart descriptions, the
timeline), the grade; Arabic right to left; axe-core 0 violations, normal and forced
colours; screenshots in artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import check_axe, check_clean, record, shoot
from tests.support.records import answer, start_session
from tests.support.service import TOKEN, ServiceProcess
from twin_service.messages import catalogue_file

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCRIPTS = {"ar": re.compile(r"[\u0600-\u06ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}
SHOWN = """(() => ({
  lang: document.documentElement.lang, dir: document.documentElement.dir,
  h1: document.querySelector('#content h1')?.textContent ?? '',
  h2: [...document.querySelectorAll('#content h2')].map((e) => e.textContent),
  th: [...document.querySelectorAll('#content thead th')].map((e) => e.textContent),
  print: document.getElementById('print-button').textContent,
  skip: document.querySelector('.skip-link').textContent,
  captions: [...document.querySelectorAll('figcaption span')].map((e) => e.textContent),
}))()"""


def _open(browser: Browser, web: ServiceProcess, page: str, path: str, lang: str) -> dict:
    words = catalogue_file(lang)
    browser.call("open", name=page, url=f"{web.base_url}{path}?token={TOKEN}", locale=lang)
    loaded = words["record.loaded"]
    status = "document.getElementById('record-status').textContent"
    browser.wait(page, f"{status} === {loaded!r}", timeout=15)
    shown: dict = browser.js(page, SHOWN)
    assert shown["lang"] == lang and shown["dir"] == ("rtl" if lang == "ar" else "ltr")
    assert shown["print"] == words["record.print"] and shown["skip"] == words["record.skip"]
    script = SCRIPTS[lang]
    for text in [shown["h1"], *shown["h2"], *shown["th"], *shown["captions"]]:
        assert script.search(text), (text, shown)
    return shown


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_debrief_and_progress_follow_the_browsers_language(
    browser: Browser, web: ServiceProcess, screenshots: Path, lang: str
) -> None:
    words = catalogue_file(lang)
    learner = f"rec-lang-{lang}"
    session = start_session(web, learner, kit=f"k{lang}")
    answer(web, session, ["concerned"])

    page = f"debrief-{lang}"
    shown = _open(browser, web, page, f"/sessions/{session.session_id}/debrief", lang)
    assert words["record.debrief.timeline"] in shown["h2"], shown
    heads = browser.js(
        page, "[...document.querySelectorAll('table.timeline th')].map((e) => e.textContent)"
    )
    assert heads[:2] == [words["record.col.moment"], words["record.col.since"]], heads
    timeline = browser.js(
        page, "[...document.querySelectorAll('table.timeline td')].map((e) => e.textContent)"
    )
    assert words["record.event.session_created"] in timeline, timeline
    axe = {"normal": check_axe(browser, page, f"debrief ({lang})")}
    shoot(browser, page, screenshots / f"debrief-{lang}.png")
    browser.call("emulate", name=page, forced_colors="active")
    axe["forced"] = check_axe(browser, page, f"debrief ({lang}), forced colours")
    record(f"axe-debrief-{lang}", axe)
    check_clean(browser, page)
    browser.call("close", name=page)

    page = f"progress-{lang}"
    shown = _open(browser, web, page, f"/learners/{learner}", lang)
    assert words["record.progress.in_short"] in shown["h2"], shown
    summary = browser.js(
        page, "[...document.querySelectorAll('.summary li')].map((li) => li.textContent)"
    )
    said = words["record.progress.score_in"].format(scenario="vitals")
    assert any(s.startswith(said) for s in summary), summary
    record(f"axe-progress-{lang}", {"normal": check_axe(browser, page, f"progress ({lang})")})
    shoot(browser, page, screenshots / f"progress-{lang}.png")
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_refusal_is_said_in_the_pages_language(browser: Browser, web: ServiceProcess) -> None:
    words = catalogue_file("ar")
    page = "record-refused-ar"
    browser.call("open", name=page, url=f"{web.base_url}/learners/nobody?token=wrong", locale="ar")
    browser.wait(page, "!document.getElementById('token-form').hidden")
    status = browser.js(page, "document.getElementById('record-status').textContent")
    assert status == words["record.refused"], status
    assert browser.js(page, "document.documentElement.dir") == "rtl"
    check_axe(browser, page, "progress refused (ar)")
    browser.call("close", name=page)
