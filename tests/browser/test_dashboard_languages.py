"""Issue 16 gap: the instructor dashboard's own script texts in the browser's language
(Accept-Language ar / zh): the connection line, a kit's card (status, groups, reading
labels, the offline note and stale marks), the kit-event line and the sessions table
(state, buttons, caption) are the catalogue's words, with axe-core 0 violations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import Kit, check_axe, check_clean, new_session, record, shoot
from tests.support.mqtt import Publisher
from tests.support.service import TOKEN, ServiceProcess
from twin_service.messages import catalogue_file

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SCRIPTS = {"ar": re.compile(r"[\u0600-\u06ff]"), "zh": re.compile(r"[\u4e00-\u9fff]")}
CARD = """((kit) => {
  const card = document.querySelector(`[data-kit="${kit}"]`);
  if (!card) return null;
  return {
    heading: card.querySelector('h2').textContent,
    status: card.querySelector('.kit-status').textContent.trim(),
    groups: [...card.querySelectorAll('.group h3')].filter((e) => e.offsetParent !== null)
      .map((e) => e.textContent),
    labels: [...card.querySelectorAll('.reading dt')].map((e) => e.textContent),
    note: card.querySelector('.offline-note').hidden ? null
      : card.querySelector('.offline-note').textContent.trim(),
    stale: [...card.querySelectorAll('.stale-mark')].filter((e) => e.getClientRects().length)
      .map((e) => e.textContent.trim()),
  };
})"""
ROW = """((id) => {
  const row = document.querySelector(`tr[data-session="${id}"]`);
  return row && { state: row.querySelector('.run-state').textContent.trim(),
    scenario: row.children[2].textContent, grade: row.children[6].textContent,
    buttons: [...row.querySelectorAll('.row-actions .btn')].filter((e) => !e.hidden)
      .map((e) => e.textContent.trim()) };
})"""


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_dashboard_script_texts_follow_the_browsers_language(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path, lang: str
) -> None:
    words = catalogue_file(lang)
    script = SCRIPTS[lang]
    lab, kit_id = f"wardDL{lang}", "k1"
    kit = Kit(publisher, web, lab, kit_id)
    kit.status("online")
    kit.send({"hr": 72, "spo2": 97.5, "temp_c": 36.8, "resp_rate": 14, "sbp": 120, "dbp": 80})
    page = f"dash-{lang}"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{lab}?token={TOKEN}", locale=lang)
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    assert browser.js(page, "document.documentElement.lang") == lang
    card = f"{CARD}({json.dumps(kit_id)})"
    shown = browser.wait(page, f"(() => {{ const c = {card}; return c?.labels.length && c; }})()")
    assert (
        browser.js(page, "document.getElementById('conn-text').textContent")
        == words["dashboard.conn.live"]
    )
    assert browser.js(page, "document.title") == words["dashboard.doc_title"].format(lab=lab)
    assert shown["heading"] == words["dashboard.card.title"].format(kit=kit_id)
    assert shown["status"].endswith(words["dashboard.card.online"])
    assert shown["groups"][0] == words["dashboard.card.vitals"]
    assert words["dashboard.sensor.hr"] in shown["labels"]
    assert words["dashboard.sensor.bp"] in shown["labels"]
    assert all(script.search(x) for x in shown["labels"]), shown["labels"]

    body = new_session(web, f"dl-{lang}", lab, kit_id)
    row = f"{ROW}({json.dumps(body['session_id'])})"
    listed = browser.wait(page, f"{row}")
    assert listed["state"].endswith(words["dashboard.session.running"]), listed
    assert listed["buttons"] and all(script.search(b) for b in listed["buttons"]), listed
    # The scenario's title (GET /api/v1/scenarios in the browser's language) and the grade.
    graded = browser.wait(page, f"(() => {{ const r = {row}; return r?.grade !== '—' && r; }})()")
    assert script.search(graded["scenario"]) and script.search(graded["grade"]), graded
    caption = browser.js(page, "document.getElementById('sessions-caption').textContent")
    assert caption == words["dashboard.session.caption"].format(lab=lab)

    kit.status("offline")
    browser.wait(page, f"{card}.note !== null && {card}.stale.length > 0")
    offline = browser.js(page, card)
    assert offline["note"].endswith(words["dashboard.card.offline_note"]), offline
    assert offline["status"].endswith(words["dashboard.card.offline"]), offline
    assert all(words["dashboard.card.stale"] in x for x in offline["stale"]), offline
    went = words["dashboard.kit.went_offline"].partition("{time}")[0].format(kit=kit_id)
    browser.wait(
        page, f"document.getElementById('kit-events').textContent.includes({json.dumps(went)})"
    )
    record(f"axe-dashboard-{lang}", {"normal": check_axe(browser, page, f"dashboard ({lang})")})
    shoot(browser, page, screenshots / f"dashboard-{lang}.png")
    check_clean(browser, page)
    browser.call("close", name=page)
