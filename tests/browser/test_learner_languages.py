"""Issue 16, must-show 2: the learner page in Arabic (right to left) and Chinese in a real
Chromium - lang/dir, texts in the learner's script, the mirrored choice marker, the layout
from logical properties, axe-core (normal and forced colours), and screenshots in
artifacts/screenshots/learn-{ar,zh}-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import (
    DETERIORATING,
    Kit,
    check_axe,
    check_clean,
    new_session,
    record,
    shoot,
)
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess
from twin_service.messages import catalogue_file

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LEARNER = "window.accesstwinLearner.state"
SCRIPTS = {"ar": re.compile(r"[\u0600-\u06ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}
# Text shown to the learner outside the question (which comes from the scenario), minus
# what is not words: icons, times, numbers, the product name.
CHROME = "h1, h2, .setting-label, .setting-buttons button, #scan-help, #conn-text, #no-history"
CHROME_TEXT = f"""[...document.querySelectorAll('{CHROME}')].filter((e) => e.offsetParent !== null)
  .map((e) => e.innerText.trim()).filter(Boolean)"""
LAYOUT = """(() => {
  const choice = document.querySelector('.choice');
  const marker = choice.querySelector('.marker').getBoundingClientRect();
  const label = choice.querySelector('.choice-label').getBoundingClientRect();
  const alert = getComputedStyle(document.getElementById('msg-alert'));
  return { marker: choice.querySelector('.marker').textContent, markerX: marker.x,
           labelX: label.x, borderLeft: parseFloat(alert.borderLeftWidth),
           borderRight: parseFloat(alert.borderRightWidth),
           times: [...document.querySelectorAll('time')].map((t) => t.textContent) };
})()"""


MONITOR = """(() => ({
  state: document.getElementById('monitor-state').dataset.state,
  text: document.getElementById('monitor-state-text').textContent,
  rows: Object.fromEntries([...document.querySelectorAll('#vitals .vital')].map((r) => {
    const stale = r.querySelector('.vital-stale');
    return [r.dataset.name, {
      name: r.querySelector('.vital-name').textContent,
      trend: r.querySelector('.vital-trend').textContent.trim(),
      flag: r.querySelector('.vital-flag').textContent.trim(),
      stale: stale.hidden ? null : stale.textContent.trim(),
    }];
  })),
}))()"""


def check_monitor_words(browser: Browser, page: str, kit: Kit, lang: str) -> None:
    """The patient monitor's state texts (live, each vital's name, trend and NEWS2 state,
    then offline and stale) are the catalogue's words in the learner's language."""
    words = catalogue_file(lang)
    script = SCRIPTS[lang]
    browser.wait(page, "document.getElementById('monitor-state').dataset.state === 'live'")
    shown = browser.js(page, MONITOR)
    assert shown["text"] == words["learn.monitor.live"].replace("{kit}", f"k-{lang}"), shown
    flag = words["learn.monitor.flag_dir"]
    expected = {  # DETERIORATING: SpO2 90.5 scores 3 (alarm, low), HR 124 scores 2 (high)
        "spo2": flag.format(state=words["learn.monitor.alarm"], dir=words["learn.monitor.low"]),
        "hr": flag.format(
            state=words["learn.monitor.out_of_range"], dir=words["learn.monitor.high"]
        ),
    }
    for name, row in shown["rows"].items():
        assert row["name"] == words[f"learn.monitor.vital.{name}"], row
        assert script.search(row["trend"]) and script.search(row["flag"]), row
        if name in expected:
            assert row["flag"].endswith(expected[name]), row
    assert set(expected) <= set(shown["rows"])
    read = browser.js(page, "document.getElementById('read-vitals').textContent.trim()")
    assert read.endswith(words["learn.read_vitals"]), read
    kit.status("offline")
    browser.wait(page, "document.getElementById('monitor-state').dataset.state === 'offline'")
    browser.wait(page, "document.querySelector('#vitals .vital-stale:not([hidden])') !== null")
    offline = browser.js(page, MONITOR)
    before, _, after = words["learn.monitor.offline_since"].partition("{time}")
    assert offline["text"].startswith(before) and offline["text"].endswith(after), offline
    stale = [row["stale"] for row in offline["rows"].values() if row["stale"]]
    assert stale and all(words["learn.monitor.stale_offline"] in x for x in stale), stale
    received = words["learn.monitor.received"].partition("{time}")[0]
    assert all(received in x and re.search(r"\d\d:\d\d:\d\d", x) for x in stale), stale


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_learner_page_in_arabic_and_chinese_is_accessible_and_in_the_learners_script(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path, lang: str
) -> None:
    script = SCRIPTS[lang]
    body = new_session(web, f"lp-{lang}", "wardLang", f"k-{lang}", language=lang)
    kit = Kit(publisher, web, "wardLang", f"k-{lang}")
    kit.status("online")
    page = f"learn-{lang}"
    browser.call("open", name=page, url=body["learner_url"])
    browser.wait(page, "window.accesstwinLearner && window.accesstwinLearner.connected")
    browser.wait(page, "document.querySelectorAll('.choice').length > 0")
    assert browser.js(page, "document.documentElement.lang") == lang
    assert browser.js(page, "document.documentElement.dir") == ("rtl" if lang == "ar" else "ltr")
    shoot(browser, page, screenshots / f"learn-{lang}-before-start.png")
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{LEARNER}.started")
    kit.send(DETERIORATING)
    browser.wait(page, "document.getElementById('msg-alert').textContent.length > 0")
    browser.wait(page, "document.querySelector('.choice.is-scanned') !== null")
    browser.wait(page, f"{LEARNER}.stats.played >= 1", timeout=20)  # the prompt was spoken

    prompt = browser.js(page, "document.getElementById('prompt-text').textContent")
    labels = browser.js(
        page, "[...document.querySelectorAll('.choice-label')].map((e) => e.textContent)"
    )
    alert = browser.js(page, "document.getElementById('msg-alert').textContent")
    assert script.search(prompt) and all(script.search(x) for x in labels) and script.search(alert)
    chrome = browser.js(page, CHROME_TEXT)
    assert chrome and all(script.search(x) for x in chrome), chrome
    assert browser.js(page, "document.title").startswith(
        "جلسة تعلّم" if lang == "ar" else "学习课程 — 病情恶化的患者"
    ) or script.search(browser.js(page, "document.title"))
    layout = browser.js(page, LAYOUT)
    assert all(re.fullmatch(r"[0-9:]+", t) for t in layout["times"]), layout["times"]
    if lang == "ar":  # right to left: the marker on the right pointing at the answer
        assert layout["marker"].startswith("◀") and layout["markerX"] > layout["labelX"]
        assert layout["borderRight"] > layout["borderLeft"]  # the inline-start border
    else:
        assert layout["marker"].startswith("▶") and layout["markerX"] < layout["labelX"]
        assert layout["borderLeft"] > layout["borderRight"]
    check_monitor_words(browser, page, kit, lang)

    results = {"normal": check_axe(browser, page, f"learner page ({lang}), normal")}
    shoot(browser, page, screenshots / f"learn-{lang}-normal.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    results["forced-colors"] = check_axe(browser, page, f"learner page ({lang}), forced colours")
    shoot(browser, page, screenshots / f"learn-{lang}-forced-colors.png")
    record(f"axe-learner-{lang}", results)
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_reloaded_page_without_its_link_switches_to_the_learners_language(
    browser: Browser, web: ServiceProcess
) -> None:
    body = new_session(web, "lp-reload", "wardLang", "k-reload", language="ar")
    page = "learn-reload"
    browser.call("open", name=page, url=body["learner_url"])
    browser.wait(page, "window.accesstwinLearner && window.accesstwinLearner.connected")
    # The address bar no longer has the token: the server sends English, the session frame Arabic.
    url = browser.js(page, "location.href")
    assert "token=" not in url
    browser.js(page, "setTimeout(() => location.reload(), 0), true")
    reloaded = "performance.getEntriesByType('navigation')[0]?.type === 'reload'"
    browser.wait(page, f"document.readyState === 'complete' && {reloaded}")
    browser.wait(page, "window.accesstwinLearner && window.accesstwinLearner.connected")
    browser.wait(
        page, "document.documentElement.lang === 'ar' && document.documentElement.dir === 'rtl'"
    )
    browser.wait(page, "document.getElementById('settings-h').textContent === 'التوقيت والنطق'")
    check_clean(browser, page)
    browser.call("close", name=page)
